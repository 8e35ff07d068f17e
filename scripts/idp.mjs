// `npm run idp`: the embedded Cognito, seeded, with the embedded identity pool and S3, until
// Ctrl-C. Prints one line of JSON.
import { startCognitoLocal } from "./cognito-local.mjs";
import { startIdentityLocal } from "./identity-local.mjs";

const cognito = await startCognitoLocal();
const identity = await startIdentityLocal(cognito.info, { appUrl: process.env.APP_URL ?? "http://localhost:3000" }).catch(async (error) => {
  await cognito.stop();
  throw error;
});
const info = { ...cognito.info, ...identity.info };
const stop = async () => {
  await identity.stop();
  await cognito.stop();
};
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
