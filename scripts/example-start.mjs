// `npm run example:start`: build the example and serve it in production mode. Reads the
// environment contract (COGNITO_*, SESSION_SECRET, APP_URL); with no COGNITO_USER_POOL_ID
// it starts the embedded Cognito first.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { listenHost, signInLine } from "./app-address.mjs";
import { envFor, startCognitoLocal, stopTogether } from "./cognito-local.mjs";

const require = createRequire(import.meta.url);
const nextBin = require.resolve("next/dist/bin/next");
const port = Number(process.env.PORT ?? 3000);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
env.APP_URL ??= `http://localhost:${port}`;
let stopIdp = async () => {};
let idp;
if (!env.COGNITO_USER_POOL_ID) {
  const { info, stop } = await startCognitoLocal({ appUrl: env.APP_URL });
  Object.assign(env, envFor(info, env.APP_URL));
  env.SESSION_SECRET ??= randomBytes(32).toString("base64url");
  stopIdp = stop;
  idp = info;
  console.log(`Embedded Cognito on ${info.domain} (pool ${info.userPoolId})`);
}
const build = spawnSync(process.execPath, [nextBin, "build", "app-example"], { stdio: "inherit", env });
if (build.status !== 0) {
  await stopIdp();
  process.exit(build.status ?? 1);
}
console.log(signInLine(env.APP_URL, idp));
const app = spawn(process.execPath, [nextBin, "start", "app-example", "-p", String(port), "-H", listenHost(env.APP_URL, process.env.HOST)], {
  stdio: "inherit",
  env,
});
stopTogether(app, stopIdp);
