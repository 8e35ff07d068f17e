import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type CognitoSession, type CognitoSessionOptions, createCognitoSession } from "../../src/index.ts";
import { APP_URL, SECRET, TestBrowser } from "./app.ts";
import { freePort } from "./ports.ts";
import { coreOf } from "../../src/internal.ts";

/** One request the fake saw. */
export interface FakeCall {
  method: string;
  path: string;
  /** `x-amz-target` action for JSON API calls (`InitiateAuth`, …). */
  action?: string;
  headers: Record<string, string | string[] | undefined>;
  /** Form fields or JSON body. */
  body: Record<string, any>;
}

/** What a scripted handler answers: a status and a JSON body. */
export interface FakeAnswer {
  status: number;
  body: unknown;
}

const DEFAULTS = {
  async onToken(this: FakeCognito): Promise<FakeAnswer> {
    return { status: 200, body: await this.tokenSet() };
  },
  onApi: (): FakeAnswer => ({ status: 400, body: { __type: "UnknownOperationException" } }),
};

/**
 * One fake for the enclosing file or `describe`: listening before its tests, reset after
 * each, stopped after all of them.
 */
export function useFakeCognito(): FakeCognito {
  const fake = new FakeCognito();
  beforeAll(() => fake.listen());
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());
  return fake;
}

/**
 * A real HTTP server on 127.0.0.1 that plays the Cognito endpoints the embedded Cognito
 * lacks or cannot be made to misbehave: `/oauth2/token` (tokens signed with a test key,
 * with or without a `nonce`), the JSON API (scripted per action, e.g. `GlobalSignOut` or
 * `TooManyRequestsException`), `/logout`, and the pool's JWKS. Records every call.
 */
export class FakeCognito {
  readonly calls: FakeCall[] = [];
  readonly userPoolId = "local_Fake1";
  readonly clientId = "fakeclient1";
  /** Answers `/oauth2/token`; the default issues a fresh token set. */
  onToken: (this: FakeCognito, call: FakeCall) => FakeAnswer | Promise<FakeAnswer> = DEFAULTS.onToken;
  /** Answers JSON API actions; the default refuses them as Cognito does an unknown action. */
  onApi: (action: string, call: FakeCall) => FakeAnswer | Promise<FakeAnswer> = DEFAULTS.onApi;

  url = "";
  #server: Server | undefined;
  #privateKey: CryptoKey | undefined;
  #jwk: JWK | undefined;

  /** Listen on a free loopback port, with a fresh RS256 key. */
  async listen(): Promise<this> {
    const port = await freePort();
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    this.#privateKey = privateKey as CryptoKey;
    this.#jwk = { ...(await exportJWK(publicKey)), kid: "fake-key", alg: "RS256", use: "sig" };
    this.url = `http://127.0.0.1:${port}`;
    const server = createServer((req, res) => {
      this.#handle(req).then(
        ({ status, body }) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body)),
        (error) => res.writeHead(500).end(String(error)),
      );
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return this;
  }

  /** Forget the calls and go back to the default answers. */
  reset(): void {
    this.calls.length = 0;
    this.onToken = DEFAULTS.onToken;
    this.onApi = DEFAULTS.onApi;
  }

  get issuer(): string {
    return `${this.url}/${this.userPoolId}`;
  }

  /** The environment contract for an app pointed at this fake. */
  env(appUrl: string): Record<string, string> {
    return {
      COGNITO_USER_POOL_ID: this.userPoolId,
      COGNITO_CLIENT_ID: this.clientId,
      COGNITO_ISSUER: this.issuer,
      COGNITO_JWKS_URI: `${this.issuer}/.well-known/jwks.json`,
      COGNITO_DOMAIN: this.url,
      COGNITO_ENDPOINT: `${this.url}/`,
      APP_URL: appUrl,
    };
  }

  /** An app at `APP_URL` pointed at this fake, with real-Cognito settings unless `options` relax them. */
  app(options: CognitoSessionOptions = {}): CognitoSession<any> {
    return createCognitoSession({ ...options, env: { ...this.env(APP_URL), SESSION_SECRET: SECRET } });
  }

  /** A browser holding the session cookies `app` itself writes for a fresh token set. */
  async signedIn(app: CognitoSession<any>, options: Parameters<FakeCognito["tokenSet"]>[0] = {}) {
    const browser = new TestBrowser(app);
    const tokens = await this.tokenSet(options);
    const changes = await coreOf(app).storage.write(new Map(), {
      accessToken: tokens.access_token,
      idToken: tokens.id_token,
      refreshToken: tokens.refresh_token,
      endsAt: Math.floor(Date.now() / 1000) + 3600,
    });
    for (const { name, value } of changes.set) browser.cookies.set(name, value);
    return { browser, tokens };
  }

  /** Calls to one path (e.g. `/oauth2/token`) or one API action. */
  count(pathOrAction: string): number {
    return this.calls.filter((c) => c.path === pathOrAction || c.action === pathOrAction).length;
  }

  /** Sign `claims` with the fake's key (or `key`), as Cognito would: RS256, kid in the header. */
  async sign(claims: Record<string, unknown>, key: CryptoKey = this.#privateKey!, lifetime = 3600): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, iat: now, exp: now + lifetime, ...claims }).setProtectedHeader({ alg: "RS256", kid: "fake-key" }).sign(key);
  }

  /**
   * An access and ID token pair for `sub`, and an opaque refresh token. Both tokens carry
   * `origin_jti` as real Cognito's do: `originJti` to continue a sign-in (a refresh keeps
   * it), a new one by default, `null` for none (as cognito-local issues them).
   */
  async tokenSet(
    options: { sub?: string; nonce?: string; idClaims?: Record<string, unknown>; accessLifetime?: number; originJti?: string | null } = {},
  ): Promise<{ access_token: string; id_token: string; refresh_token: string; token_type: string; expires_in: number }> {
    const sub = options.sub ?? "11111111-2222-3333-4444-555555555555";
    const originJti = options.originJti === undefined ? randomUUID() : options.originJti;
    const origin = originJti === null ? {} : { origin_jti: originJti };
    const access = await this.sign(
      { sub, token_use: "access", client_id: this.clientId, username: "alice", scope: "openid email", jti: randomUUID(), ...origin },
      this.#privateKey,
      options.accessLifetime,
    );
    const id = await this.sign({
      sub,
      token_use: "id",
      aud: this.clientId,
      "cognito:username": "alice",
      email: "alice@example.com",
      jti: randomUUID(),
      ...origin,
      ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
      ...options.idClaims,
    });
    return { access_token: access, id_token: id, refresh_token: `opaque-${randomUUID()}`, token_type: "Bearer", expires_in: 3600 };
  }

  stop(): Promise<void> {
    const server = this.#server!;
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage): Promise<FakeAnswer> {
    const url = new URL(req.url ?? "/", this.url);
    let text = "";
    for await (const chunk of req) text += chunk;
    const target = req.headers["x-amz-target"];
    const action = typeof target === "string" ? target.split(".").pop() : undefined;
    const body = action ? (JSON.parse(text || "{}") as Record<string, any>) : Object.fromEntries(new URLSearchParams(text));
    const call: FakeCall = { method: req.method ?? "GET", path: url.pathname, headers: req.headers, body, ...(action ? { action } : {}) };
    if (url.pathname === `/${this.userPoolId}/.well-known/jwks.json`) return { status: 200, body: { keys: [this.#jwk] } };
    this.calls.push(call);
    if (action) return this.onApi(action, call);
    if (url.pathname === "/oauth2/token") return this.onToken.call(this, call);
    return { status: 404, body: { error: "not_found" } };
  }
}
