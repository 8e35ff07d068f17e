// `npm run example:start`: build the example and serve it in production mode. Reads the
// environment contract (COGNITO_*, SESSION_SECRET, APP_URL); with no COGNITO_USER_POOL_ID
// it starts the embedded Cognito first.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { envFor, startCognitoLocal, stopTogether } from "./cognito-local.mjs";

const require = createRequire(import.meta.url);
const nextBin = require.resolve("next/dist/bin/next");
const port = Number(process.env.PORT ?? 3000);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
env.APP_URL ??= `http://localhost:${port}`;
let stopIdp = async () => {};
if (!env.COGNITO_USER_POOL_ID) {
  const { info, stop } = await startCognitoLocal({ appUrl: env.APP_URL });
  Object.assign(env, envFor(info, env.APP_URL));
  env.SESSION_SECRET ??= randomBytes(32).toString("base64url");
  stopIdp = stop;
  console.log(`Embedded Cognito on ${info.domain}; sign in as ${info.users.join(" or ")} / ${info.password}`);
}
const build = spawnSync(process.execPath, [nextBin, "build", "app-example"], { stdio: "inherit", env });
if (build.status !== 0) {
  await stopIdp();
  process.exit(build.status ?? 1);
}
const app = spawn(process.execPath, [nextBin, "start", "app-example", "-p", String(port), "-H", process.env.HOST ?? "127.0.0.1"], { stdio: "inherit", env });
stopTogether(app, stopIdp);
