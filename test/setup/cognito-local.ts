import type { TestProject } from "vitest/node";
import { type CognitoLocalInfo, startCognitoLocal } from "../../scripts/cognito-local.mjs";
import { freePort } from "../helpers/ports.ts";

export type { CognitoLocalInfo };

declare module "vitest" {
  export interface ProvidedContext {
    cognito: CognitoLocalInfo;
  }
}

/** One embedded Cognito for the whole run, on a free loopback port; stopped by PID at the end. */
export default async function setup(project: TestProject) {
  const { info, stop } = await startCognitoLocal({ port: await freePort(), appUrl: "http://localhost:3000" });
  project.provide("cognito", info);
  return stop;
}
