// OpenTelemetry spans with the SDK registered as an app registers it, exported to memory:
// the expected names, nested under the request span Next starts (made here with Next's own
// compiled copy of the API, as Next makes it), error status by code, and a no-op once no
// provider is registered.
import { createRequire } from "node:module";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { coreOf } from "../src/internal.ts";
import { activeTracer, errorType } from "../src/lib/tracing.ts";
import { getId } from "../src/cognito/identity.ts";
import { APP_URL, TestBrowser } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { useInMemoryTracing } from "./helpers/tracing.ts";

const fake = useFakeCognito();
const tracing = useInMemoryTracing();
// Next's own copy of the API, which it starts its request spans with.
const nextApi = createRequire(import.meta.url)("next/dist/compiled/@opentelemetry/api") as typeof import("@opentelemetry/api");

const now = () => Math.floor(Date.now() / 1000);
const ERROR = 2;

/** Run `work` inside a span started the way Next starts its request spans; the span's id. */
async function underNextSpan(work: () => Promise<unknown>): Promise<string> {
  return nextApi.trace.getTracer("next.js").startActiveSpan("GET /dashboard", async (span) => {
    try {
      await work();
      return span.spanContext().spanId;
    } finally {
      span.end();
    }
  });
}

const app = (options = {}) => fake.app({ protect: { "/dashboard/:path*": {} }, timeoutMs: 300, ...options });

async function dueSession(application: ReturnType<typeof app>) {
  const accessToken = await fake.sign({
    sub: "u-due",
    token_use: "access",
    client_id: fake.clientId,
    username: "alice",
    scope: "openid",
    iat: now() - 3_000,
    exp: now() + 30,
  });
  const changes = await coreOf(application).storage.write(new Map(), {
    accessToken,
    idToken: undefined,
    refreshToken: `opaque-${crypto.randomUUID()}`,
    endsAt: now() + 3_600,
  });
  const browser = new TestBrowser(application);
  for (const { name, value } of changes.set) browser.cookies.set(name, value);
  return browser;
}

/** The names of the spans from `span` up to the root, `span` first. */
function chain(span: ReadableSpan | undefined): string[] {
  const names: string[] = [];
  for (let s = span; s !== undefined; s = tracing.parentOf(s)) names.push(s.name);
  return names;
}

describe("spans of a request, nested under Next's", () => {
  it("a cold read that refreshes: verify (fetching the keys), refresh, its token-endpoint call, under the request span", async () => {
    const browser = await dueSession(app());
    const request = await underNextSpan(() => browser.fetch("/dashboard"));
    const spans = tracing.spans();
    expect(spans.find((s) => s.name === "GET /dashboard")!.spanContext().spanId).toBe(request);
    // The first verification of this file fetches the pool's keys, inside its own span.
    const [fetch] = tracing.named("ncs.jwks.fetch");
    expect(chain(fetch)).toEqual(["ncs.jwks.fetch", "ncs.verify", "GET /dashboard"]);
    expect(fetch!.attributes).toEqual({ "url.full": `${fake.issuer}/.well-known/jwks.json` });
    expect(fetch!.kind).toBe(2);
    const [token] = tracing.named("cognito /oauth2/token");
    expect(chain(token)).toEqual(["cognito /oauth2/token", "ncs.refresh", "GET /dashboard"]);
    expect(token!.attributes).toEqual({ "http.request.method": "POST", "server.address": "127.0.0.1", "oauth.grant_type": "refresh_token" });
    // The new tokens are verified inside the refresh, before anything is stored.
    expect(tracing.named("ncs.verify").filter((s) => tracing.parentOf(s)?.name === "ncs.refresh").length).toBeGreaterThan(0);
    for (const span of tracing.named("ncs.verify")) expect(span.attributes["ncs.token.use"]).toMatch(/^(access|id)$/);
    for (const span of spans) expect(span.status.code).not.toBe(ERROR);
    expect(spans.every((s) => s.spanContext().traceId === spans[0]!.spanContext().traceId)).toBe(true);
  });

  it("under the span Next's own tracer starts for a request (BaseServer.handleRequest)", async () => {
    const require = createRequire(import.meta.url);
    const { getTracer } = require("next/dist/server/lib/trace/tracer") as { getTracer(): { trace<T>(type: string, options: object, fn: () => T): T } };
    const { BaseServerSpan } = require("next/dist/server/lib/trace/constants") as { BaseServerSpan: { handleRequest: string } };
    const browser = await dueSession(app());
    await getTracer().trace(BaseServerSpan.handleRequest, { spanName: "GET /dashboard" }, () => browser.fetch("/dashboard"));
    const [refresh] = tracing.named("ncs.refresh");
    expect(chain(refresh)).toEqual(["ncs.refresh", "GET /dashboard"]);
    expect(tracing.parentOf(refresh!)!.attributes["next.span_type"]).toBe("BaseServer.handleRequest");
  });

  it("a warm read: no span at all (the session cache answers)", async () => {
    const { browser } = await fake.signedIn(app());
    await browser.fetch("/dashboard");
    tracing.exporter.reset();
    await underNextSpan(() => browser.fetch("/dashboard"));
    expect(tracing.spans().map((s) => s.name)).toEqual(["GET /dashboard"]);
  });

  it("each Cognito JSON API call is named by its action, with no request body in it", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const { browser } = await fake.signedIn(app({ clientSecret: "client-secret-value" }));
    await underNextSpan(() => browser.fetch("/auth/sign-out", { method: "POST", headers: { origin: APP_URL, "sec-fetch-site": "same-origin" } }));
    const [revoke] = tracing.named("CognitoIdentityProvider/RevokeToken");
    expect(chain(revoke)).toEqual(["CognitoIdentityProvider/RevokeToken", "GET /dashboard"]);
    expect(revoke!.attributes).toEqual({
      "rpc.system": "aws-api",
      "rpc.service": "CognitoIdentityProvider",
      "rpc.method": "RevokeToken",
      "server.address": "127.0.0.1",
    });
  });

  it("an identity-pool call is named by its service and action, with no Logins in it", async () => {
    const identityId = "us-east-1:0b8f8e4c-5b1e-4a4f-9c9e-2f4d8a6b1c3d";
    const answer = async () => new Response(JSON.stringify({ IdentityId: identityId }), { status: 200 });
    const options = {
      endpoint: new URL("http://127.0.0.1:9/"),
      identityPoolId: "us-east-1:0b8f8e4c-5b1e-4a4f-9c9e-2f4d8a6b1c3e",
      timeoutMs: 300,
      fetch: answer,
    };
    await underNextSpan(() => getId(options, { "cognito-idp.us-east-1.amazonaws.com/us-east-1_x": "id-token-value" }));
    const [span] = tracing.named("CognitoIdentity/GetId");
    expect(chain(span)).toEqual(["CognitoIdentity/GetId", "GET /dashboard"]);
    expect(span!.attributes).toEqual({ "rpc.system": "aws-api", "rpc.service": "CognitoIdentity", "rpc.method": "GetId", "server.address": "127.0.0.1" });
  });
});

describe("errors are recorded by code, never by message", () => {
  it("a refresh token Cognito refuses: the call and the refresh in error, with Cognito's error type", async () => {
    fake.onToken = () => ({ status: 400, body: { error: "invalid_grant" } });
    const browser = await dueSession(app());
    await underNextSpan(() => browser.fetch("/dashboard"));
    const [token] = tracing.named("cognito /oauth2/token");
    expect(token!.status).toEqual({ code: ERROR, message: "ERR_COGNITO_REJECTED" });
    expect(token!.attributes).toMatchObject({ "error.type": "ERR_COGNITO_REJECTED", "aws.cognito.error": "invalid_grant" });
    const [refresh] = tracing.named("ncs.refresh");
    expect(refresh!.status).toEqual({ code: ERROR, message: "ERR_COGNITO_REJECTED" });
  });

  it("a Cognito API call that fails: unavailable", async () => {
    fake.onApi = () => ({ status: 500, body: { __type: "InternalErrorException" } });
    const { browser } = await fake.signedIn(app());
    await browser.fetch("/auth/sign-out", { method: "POST", headers: { origin: APP_URL, "sec-fetch-site": "same-origin" } });
    const [revoke] = tracing.named("CognitoIdentityProvider/RevokeToken");
    expect(revoke!.status).toEqual({ code: ERROR, message: "ERR_COGNITO_UNAVAILABLE" });
    for (const span of tracing.spans()) expect(span.events).toEqual([]);
  });

  it("a forged access token: its verification in error, ERR_TOKEN_SIGNATURE", async () => {
    const application = app();
    const { browser } = await fake.signedIn(application);
    const at = coreOf(application).cookieNames.access;
    browser.cookies.set(at, `${browser.cookies.get(at)!.slice(0, -6)}AAAAAA`);
    await browser.fetch("/dashboard");
    const failed = tracing.named("ncs.verify").filter((s) => s.status.code === ERROR);
    expect(failed.map((s) => s.status.message)).toEqual(["ERR_TOKEN_SIGNATURE"]);
  });

  it("errorType: our code, else a class name, never a message", () => {
    expect(errorType(Object.assign(new Error("a token eyJ… in the message"), { code: "ERR_TOKEN_CLAIM" }))).toBe("ERR_TOKEN_CLAIM");
    expect(errorType(new TypeError("eyJhbGciOi"))).toBe("TypeError");
    expect(errorType(Object.assign(new Error("x"), { code: "eyJhbGciOi.secret" }))).toBe("Error");
    expect(errorType(Object.assign(new Error("x"), { name: "eyJhbGciOi.secret value" }))).toBe("Error");
    expect(errorType("eyJhbGciOi")).toBe("Error");
  });
});

describe("without a registered provider", () => {
  it("is a no-op: no tracer, no span, the request answered as before", async () => {
    const { trace } = await import("@opentelemetry/api");
    const provider = trace.getTracerProvider();
    trace.disable();
    try {
      expect(activeTracer()).toBeUndefined();
      const browser = await dueSession(app());
      const response = await browser.fetch("/dashboard");
      expect(response.headers.get("x-middleware-next")).toBe("1");
      expect(tracing.spans()).toEqual([]);
    } finally {
      trace.setGlobalTracerProvider((provider as unknown as { getDelegate(): never }).getDelegate());
    }
    expect(activeTracer()).toBeDefined();
  });

  it("and without the API in the process at all (its global registration absent)", () => {
    const key = Symbol.for("opentelemetry.js.api.1");
    const holder = globalThis as Record<symbol, unknown>;
    const registered = holder[key];
    delete holder[key];
    try {
      expect(activeTracer()).toBeUndefined();
    } finally {
      holder[key] = registered;
    }
  });
});
