/**
 * A stand-in for a Cognito identity pool, for tests and local development: an HTTP server
 * on 127.0.0.1 speaking the Cognito Identity JSON protocol (`GetId`,
 * `GetCredentialsForIdentity`), as AWS SDK v3's `@aws-sdk/client-cognito-identity` and the
 * library call it. It checks what Cognito checks and a local server can: the `Logins` key
 * names a user pool the pool trusts, the ID token verifies against that pool's JWKS (RS256,
 * issuer, `token_use`, audience, unexpired), the identity belongs to this pool and to that
 * login, guests only where enabled. It answers with credentials that expire, and counts
 * calls per operation.
 *
 * A test double: the credentials it issues are random strings that no AWS service accepts,
 * and it knows nothing of IAM roles or policies. Node only; never imported by the library.
 */
import { createPublicKey, randomBytes, randomUUID, verify as verifySignature } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A user pool the identity pool trusts (an "authentication provider"). */
export interface TrustedUserPool {
  /** The pool's `iss`; its `Logins` key is this without the scheme. */
  issuer: string;
  /** Where its keys are. Default `<issuer>/.well-known/jwks.json`. */
  jwksUri?: string;
  /** App clients whose ID tokens (`aud`) are accepted. */
  clientIds: string[];
}

export interface TestIdentityPoolOptions {
  /** Default `local:<random uuid>`. */
  identityPoolId?: string;
  /** The user pools it trusts. */
  providers?: TrustedUserPool[];
  /** Whether guest (unauthenticated) identities are allowed. Default false. */
  allowGuests?: boolean;
  /** Lifetime of issued credentials, seconds. Default 3600, as Cognito's. */
  credentialsTtl?: number;
  /** Port to listen on, 127.0.0.1. Default: a free one. */
  port?: number;
  /** Told of each set of credentials issued: to admit them at an S3 emulator, say. */
  onCredentials?: (issued: { accessKeyId: string; secretAccessKey: string; identityId: string; authenticated: boolean; expiration: Date }) => void;
}

/** The operations the endpoint speaks. */
export type IdentityOperation = "GetId" | "GetCredentialsForIdentity";

/** A set of credentials the double issued. */
export interface IssuedCredentials {
  identityId: string;
  authenticated: boolean;
  expiration: Date;
  secretAccessKey: string;
  sessionToken: string;
}

/** What the endpoint does when called. */
export type IdentityPoolMode =
  /** Answer. */
  | "up"
  /** 500 InternalErrorException. */
  | "down"
  /** 400 TooManyRequestsException. */
  | "throttle"
  /** Accept the connection and never answer. */
  | "hang";

/** A request as the endpoint received it, for tests comparing callers. */
export interface ReceivedIdentityRequest {
  target: string;
  contentType: string;
  body: unknown;
}

/** A running identity pool double; see {@link startTestIdentityPool}. */
export interface TestIdentityPool {
  readonly identityPoolId: string;
  /** `http://127.0.0.1:<port>/`: the app's `COGNITO_IDENTITY_ENDPOINT`. */
  readonly endpoint: string;
  /** Requests received per operation, whatever was answered. */
  readonly calls: Readonly<Record<IdentityOperation, number>>;
  /** Every request received, in order. */
  readonly requests: readonly ReceivedIdentityRequest[];
  /** Credentials issued, by access key id: whose, until when, and their secrets (for tests that look for leaks). */
  readonly issued: ReadonlyMap<string, IssuedCredentials>;
  mode: IdentityPoolMode;
  allowGuests: boolean;
  /** Refuse the next `count` requests with `type` (e.g. `NotAuthorizedException`), before any check. */
  failNext(type: string, count?: number, message?: string): void;
  /** The identity of a user pool user, if one was made: `provider` is the issuer without scheme. */
  identityOf(provider: string, sub: string): string | undefined;
  /** Forget an identity, as deleting it from the pool does. */
  deleteIdentity(identityId: string): void;
  /** Zero the counters and the request log. */
  reset(): void;
  close(): Promise<void>;
}

/** An answer of the protocol: status and JSON body. */
export interface IdentityAnswer {
  status: number;
  body: Record<string, unknown>;
}

const MAX_BODY = 64 * 1024;
const IDENTITY_ID = /^[\w-]{1,16}:[0-9a-f-]{1,40}$/;

/** The JSON protocol's error answer, shaped as Cognito's. */
function refusal(type: string, message: string, status = 400): IdentityAnswer {
  return { status, body: { __type: type, message } };
}

/** The parsed body of a request, or the refusal a malformed one gets. Pure: for property tests. */
export function parseIdentityRequest(
  target: string | undefined,
  contentType: string | undefined,
  text: string,
): { ok: true; operation: IdentityOperation; poolId?: string; identityId?: string; logins?: Record<string, string> } | { ok: false; answer: IdentityAnswer } {
  const operation = /^AWSCognitoIdentityService\.(GetId|GetCredentialsForIdentity)$/.exec(target ?? "")?.[1] as IdentityOperation | undefined;
  if (!operation) return { ok: false, answer: refusal("UnknownOperationException", "unknown operation") };
  if (!/^application\/x-amz-json-1\.[01](\s*;.*)?$/i.test(contentType ?? "")) {
    return { ok: false, answer: refusal("SerializationException", "expected application/x-amz-json-1.1") };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, answer: refusal("SerializationException", "the body is not JSON") };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, answer: refusal("SerializationException", "the body is not an object") };
  const fields = body as Record<string, unknown>;
  const invalid = (what: string) => ({ ok: false as const, answer: refusal("InvalidParameterException", what) });
  let logins: Record<string, string> | undefined;
  if (fields.Logins !== undefined) {
    const raw = fields.Logins;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return invalid("Logins must be a map");
    const entries = Object.entries(raw);
    if (entries.length > 10) return invalid("Logins has more than 10 entries");
    logins = {};
    for (const [key, value] of entries) {
      if (key.length < 1 || key.length > 128 || typeof value !== "string" || value.length < 1 || value.length > 50_000)
        return invalid("Logins has an invalid entry");
      logins[key] = value;
    }
  }
  if (operation === "GetId") {
    const poolId = fields.IdentityPoolId;
    if (typeof poolId !== "string" || !IDENTITY_ID.test(poolId)) return invalid("IdentityPoolId is invalid");
    return { ok: true, operation, poolId, ...(logins ? { logins } : {}) };
  }
  const identityId = fields.IdentityId;
  if (typeof identityId !== "string" || !IDENTITY_ID.test(identityId)) return invalid("IdentityId is invalid");
  return { ok: true, operation, identityId, ...(logins ? { logins } : {}) };
}

interface Identity {
  id: string;
  /** `provider\nsub` of the user it belongs to; undefined for a guest. */
  login: string | undefined;
}

/** Start an identity pool double on 127.0.0.1. */
export async function startTestIdentityPool(options: TestIdentityPoolOptions = {}): Promise<TestIdentityPool> {
  const identityPoolId = options.identityPoolId ?? `local:${randomUUID()}`;
  const region = identityPoolId.slice(0, identityPoolId.indexOf(":"));
  const providers = new Map((options.providers ?? []).map((p) => [p.issuer.replace(/^https?:\/\//, ""), p]));
  const ttl = options.credentialsTtl ?? 3600;
  const identities = new Map<string, Identity>();
  const byLogin = new Map<string, string>();
  const issued = new Map<string, IssuedCredentials>();
  const calls: Record<IdentityOperation, number> = { GetId: 0, GetCredentialsForIdentity: 0 };
  const requests: ReceivedIdentityRequest[] = [];
  const keys = new Map<string, Map<string, JsonWebKey>>();
  let failures: { type: string; count: number; message: string } | undefined;

  /** The JWKS of a trusted pool, fetched again when a token names a key not in it. */
  async function keyOf(provider: TrustedUserPool, kid: string): Promise<JsonWebKey | undefined> {
    let known = keys.get(provider.issuer);
    if (!known?.has(kid)) {
      const response = await fetch(provider.jwksUri ?? `${provider.issuer}/.well-known/jwks.json`, { signal: AbortSignal.timeout(5000) });
      const jwks = (await response.json()) as { keys?: Array<JsonWebKey & { kid?: string }> };
      known = new Map((jwks.keys ?? []).filter((k) => typeof k.kid === "string").map((k) => [k.kid!, k]));
      keys.set(provider.issuer, known);
    }
    return known.get(kid);
  }

  /** The `provider\nsub` a login proves, or the refusal Cognito gives. */
  async function checkLogins(logins: Record<string, string>): Promise<{ login: string } | { answer: IdentityAnswer }> {
    const entries = Object.entries(logins);
    if (entries.length !== 1) return { answer: refusal("NotAuthorizedException", "Exactly one user pool login is supported by this test double.") };
    const [name, token] = entries[0]!;
    const provider = providers.get(name);
    if (!provider) return { answer: refusal("NotAuthorizedException", "Invalid login token. Token is not from a supported provider of this identity pool.") };
    const claims = await verifyIdToken(token, provider, keyOf);
    if (typeof claims === "string") return { answer: refusal("NotAuthorizedException", `Invalid login token. ${claims}`) };
    return { login: `${name}\n${claims.sub}` };
  }

  function credentialsFor(identity: Identity): IdentityAnswer {
    const accessKeyId = `ASIA${randomBytes(10).toString("hex").toUpperCase().slice(0, 16)}`;
    const expiration = new Date(Math.floor(Date.now() / 1000 + ttl) * 1000);
    const secretAccessKey = randomBytes(30).toString("base64");
    const sessionToken = randomBytes(300).toString("base64");
    issued.set(accessKeyId, { identityId: identity.id, authenticated: identity.login !== undefined, expiration, secretAccessKey, sessionToken });
    options.onCredentials?.({ accessKeyId, secretAccessKey, identityId: identity.id, authenticated: identity.login !== undefined, expiration });
    return {
      status: 200,
      body: {
        IdentityId: identity.id,
        Credentials: {
          AccessKeyId: accessKeyId,
          SecretKey: secretAccessKey,
          SessionToken: sessionToken,
          Expiration: expiration.getTime() / 1000,
        },
      },
    };
  }

  async function handle(target: string | undefined, contentType: string | undefined, text: string): Promise<IdentityAnswer> {
    const request = parseIdentityRequest(target, contentType, text);
    if (!request.ok) return request.answer;
    if (failures && failures.count > 0) {
      failures.count--;
      return refusal(failures.type, failures.message);
    }
    if (request.operation === "GetId") {
      if (request.poolId !== identityPoolId) return refusal("ResourceNotFoundException", `IdentityPool '${request.poolId}' not found.`);
      if (!request.logins || Object.keys(request.logins).length === 0) {
        if (!state.allowGuests) return refusal("NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.");
        const identity = { id: `${region}:${randomUUID()}`, login: undefined };
        identities.set(identity.id, identity);
        return { status: 200, body: { IdentityId: identity.id } };
      }
      const checked = await checkLogins(request.logins);
      if ("answer" in checked) return checked.answer;
      let id = byLogin.get(checked.login);
      if (id === undefined || !identities.has(id)) {
        id = `${region}:${randomUUID()}`;
        identities.set(id, { id, login: checked.login });
        byLogin.set(checked.login, id);
      }
      return { status: 200, body: { IdentityId: id } };
    }
    const identity = identities.get(request.identityId!);
    if (!identity) return refusal("ResourceNotFoundException", `Identity '${request.identityId}' not found.`);
    const mismatch = () => refusal("NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.");
    if (!request.logins || Object.keys(request.logins).length === 0) {
      if (identity.login !== undefined) return mismatch();
      if (!state.allowGuests) return refusal("NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.");
      return credentialsFor(identity);
    }
    const checked = await checkLogins(request.logins);
    if ("answer" in checked) return checked.answer;
    if (identity.login !== checked.login) return mismatch();
    return credentialsFor(identity);
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("end", () => {
      void answer(req, res, size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8"));
    });
  });

  async function answer(req: IncomingMessage, res: ServerResponse, text: string | undefined): Promise<void> {
    const target = req.headers["x-amz-target"];
    const operation = typeof target === "string" ? target.split(".").pop() : undefined;
    if (operation === "GetId" || operation === "GetCredentialsForIdentity") calls[operation]++;
    let parsedBody: unknown = text;
    try {
      parsedBody = text === undefined ? undefined : JSON.parse(text);
    } catch {
      // kept as text
    }
    requests.push({ target: String(target ?? ""), contentType: String(req.headers["content-type"] ?? ""), body: parsedBody });
    if (state.mode === "hang") return;
    let result: IdentityAnswer;
    if (req.method !== "POST") result = refusal("UnknownOperationException", "POST only");
    else if (text === undefined) result = refusal("SerializationException", "the body is too large", 413);
    else if (state.mode === "down") result = refusal("InternalErrorException", "the test identity pool is down", 500);
    else if (state.mode === "throttle") result = refusal("TooManyRequestsException", "Rate exceeded");
    else {
      try {
        result = await handle(typeof target === "string" ? target : undefined, req.headers["content-type"], text);
      } catch {
        result = refusal("InternalErrorException", "the test identity pool failed", 500);
      }
    }
    const type = result.body.__type;
    res.writeHead(result.status, {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-requestid": randomUUID(),
      ...(typeof type === "string" ? { "x-amzn-errortype": type } : {}),
    });
    res.end(JSON.stringify(result.body));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const state: TestIdentityPool & { handle: typeof handle } = {
    identityPoolId,
    endpoint: `http://127.0.0.1:${port}/`,
    calls,
    requests,
    issued,
    mode: "up",
    allowGuests: options.allowGuests ?? false,
    handle,
    failNext(type, count = 1, message = "refused by the test identity pool") {
      failures = { type, count, message };
    },
    identityOf: (provider, sub) => byLogin.get(`${provider}\n${sub}`),
    deleteIdentity(identityId) {
      const identity = identities.get(identityId);
      identities.delete(identityId);
      if (identity?.login !== undefined) byLogin.delete(identity.login);
    },
    reset() {
      calls.GetId = 0;
      calls.GetCredentialsForIdentity = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** Answer a request without HTTP (the server's own handler), for property tests. */
export function handlerOf(pool: TestIdentityPool): (target: string | undefined, contentType: string | undefined, text: string) => Promise<IdentityAnswer> {
  const handle = (pool as { handle?: (t: string | undefined, c: string | undefined, b: string) => Promise<IdentityAnswer> }).handle;
  if (!handle) throw new TypeError("not a pool made by startTestIdentityPool()");
  return handle;
}

/** The claims of an ID token that verifies against `provider`, or why it does not. */
async function verifyIdToken(
  token: string,
  provider: TrustedUserPool,
  keyOf: (provider: TrustedUserPool, kid: string) => Promise<JsonWebKey | undefined>,
): Promise<{ sub: string } | string> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((part) => !/^[\w-]+$/.test(part))) return "Not a JWT.";
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  } catch {
    return "Not a JWT.";
  }
  if (typeof header !== "object" || header === null || typeof claims !== "object" || claims === null) return "Not a JWT.";
  if (header.alg !== "RS256" || typeof header.kid !== "string") return "Unsupported algorithm.";
  let jwk: JsonWebKey | undefined;
  try {
    jwk = await keyOf(provider, header.kid);
  } catch {
    return "Couldn't fetch the provider's keys.";
  }
  if (!jwk) return "Couldn't verify signed token.";
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const ok = verifySignature(
    "RSA-SHA256",
    signed,
    createPublicKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" }),
    Buffer.from(parts[2]!, "base64url"),
  );
  if (!ok) return "Couldn't verify signed token.";
  if (claims.iss !== provider.issuer) return "Issuer doesn't match providerName.";
  if (claims.token_use !== "id") return "Not an ID token.";
  if (typeof claims.aud !== "string" || !provider.clientIds.includes(claims.aud)) return "Token is not from a supported provider of this identity pool.";
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now) return `Token expired: ${now} >= ${String(claims.exp)}`;
  if (typeof claims.sub !== "string" || claims.sub === "") return "Token has no subject.";
  return { sub: claims.sub };
}
