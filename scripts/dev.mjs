// `npm run dev`: the embedded Cognito plus the example app (next dev), ready to sign in.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { listenHost, signInLine } from "./app-address.mjs";
import { codeLine, envFor, seedLines, startCognitoLocal, stopTogether } from "./cognito-local.mjs";
import { identityEnvFor, startIdentityLocal } from "./identity-local.mjs";

const require = createRequire(import.meta.url);
const port = Number(process.env.PORT ?? 3000);
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`;
const cognito = await startCognitoLocal({ appUrl });
const { info } = cognito;
const identity = await startIdentityLocal(info, { appUrl });
const stop = async () => {
  await identity.stop();
  await cognito.stop();
};
console.log(`Embedded Cognito on ${info.domain} (pool ${info.userPoolId})`);
console.log(signInLine(appUrl, info));
for (const line of seedLines(info)) console.log(line);
// The embedded Cognito sends no email or SMS: each code it delivers is printed here, one line each.
cognito.codes.subscribe((entry) => console.log(codeLine(entry)));
console.log(`Embedded identity pool ${identity.info.identityPoolId} on ${identity.info.identityEndpoint}, S3 on ${identity.info.s3Endpoint}`);

const next = spawn(process.execPath, [require.resolve("next/dist/bin/next"), "dev", "app-example", "-p", String(port), "-H", listenHost(appUrl)], {
  stdio: "inherit",
  env: {
    ...process.env,
    ...envFor(info, appUrl),
    ...identityEnvFor(identity.info),
    // A fresh secret each run: sessions from an earlier run simply read as signed out.
    SESSION_SECRET: process.env.SESSION_SECRET ?? randomBytes(32).toString("base64url"),
    NEXT_TELEMETRY_DISABLED: "1",
  },
});
stopTogether(next, stop);
