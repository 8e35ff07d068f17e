// cognito-local's own start script (cognito-local/lib/bin/start.js, 5.3.0), with one change:
// each log line is formatted and written at once (pino-pretty's formatter, fs.writeSync). The
// embedded Cognito delivers codes by logging them, and pino-pretty's stream held a line back
// after an error's log until the next request wrote more, so a code could wait unseen in this
// process while a test or a developer waited for it.
const { writeSync } = require("node:fs");
const { dirname } = require("node:path");
const from = { paths: [dirname(require.resolve("cognito-local/package.json"))] };
const pino = require(require.resolve("pino", from));
const { prettyFactory } = require(require.resolve("pino-pretty", from));
const { createDefaultServer } = require("cognito-local/lib/server");

const prettify = prettyFactory({
  colorize: true,
  ignore: "pid,name,hostname",
  singleLine: true,
  messageFormat: (log, messageKey) => `${log.reqId ?? "NONE"} ${log.target ?? "NONE"} ${log[messageKey]}`,
});
const logger = pino({ level: process.env.DEBUG ? "debug" : "info" }, { write: (line) => writeSync(1, prettify(line)) });

createDefaultServer(logger)
  .then((server) => server.start())
  .then((server) => {
    const address = server.address();
    const url = typeof address === "string" ? address : `${address.address}:${address.port}`;
    logger.info(`Cognito Local running on http://${url}`);
  })
  .catch((error) => {
    logger.error(error);
    process.exit(1);
  });
