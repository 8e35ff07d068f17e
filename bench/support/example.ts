// The example app as the end-to-end benchmarks run it: built for production into the
// benchmarks' own folders, started with its own cognito-local, and signed in through the
// Cognito JSON API (USER_PASSWORD_AUTH) with cookies sealed by the app's own secret — so
// the same session works with or without the middleware, which mounts the hosted-UI routes.
import { request } from "node:http";
import { cognito, envFor } from "../../scripts/cognito-local.mjs";
import { type RunningExample, startExample, type Variant } from "../../e2e/support/example-app.ts";
import { createCognitoSession } from "../../src/index.ts";
import { coreOf } from "../../src/internal.ts";

export const TAG = "bench";

export function startBenchExample(variant: Variant, options: { accessTokenTtl?: number; env?: Record<string, string> } = {}) {
  return startExample({ variant, tag: TAG, ...options });
}

/** Tokens straight from the app's cognito-local, as a password sign-in gets them. */
export async function signInTokens(app: RunningExample, email = "alice@example.com") {
  const { AuthenticationResult: r } = await cognito(app.cognito.endpoint, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: app.cognito.clientId,
    AuthParameters: { USERNAME: email, PASSWORD: app.cognito.password },
  });
  return { accessToken: r.AccessToken as string, idToken: r.IdToken as string, refreshToken: r.RefreshToken as string };
}

/** A `Cookie` header holding a fresh session of `email` in `app`, written by the library's own cookie code. */
export async function sessionCookie(app: RunningExample, email = "alice@example.com"): Promise<string> {
  const writer = createCognitoSession({
    dev: { allowMissingNonce: true },
    env: { ...envFor(app.cognito, app.baseURL), SESSION_SECRET: app.secret },
  });
  const tokens = await signInTokens(app, email);
  const changes = await coreOf(writer).storage.write(new Map(), {
    ...tokens,
    endsAt: Math.floor(Date.now() / 1000) + writer.config.sessionMaxAge,
  });
  return changes.set.map(({ name, value }) => `${name}=${value}`).join("; ");
}

/** The headers a browser sends for `path`: a page navigation, or a script's API call. */
export function browserHeaders(path: string, cookie?: string): Record<string, string> {
  const kind = path.startsWith("/api/")
    ? { accept: "application/json", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty" }
    : { accept: "text/html", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" };
  return { ...kind, ...(cookie ? { cookie } : {}) };
}

/**
 * GET `path` on the app as a browser would, with `cookie`; the status and body, no redirects
 * followed. node:http rather than fetch, which always sends its own `Sec-Fetch-Mode: cors`.
 */
export function get(app: RunningExample, path: string, cookie?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(new URL(path, app.baseURL), { headers: browserHeaders(path, cookie) }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}
