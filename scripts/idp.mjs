// `npm run idp`: the embedded Cognito, seeded, until Ctrl-C. Prints one line of JSON.
import { startCognitoLocal } from "./cognito-local.mjs";

const { info, stop } = await startCognitoLocal();
process.stdout.write(`${JSON.stringify(info)}\n`);
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await stop();
    process.exit(0);
  });
}
setInterval(() => {}, 1 << 30);
