import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, InvalidSignatureError, JwksUnavailableError } from "../src/lib/errors.ts";
import { signJwt, startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";
import { JwksCache, sharedJwks } from "../src/verify/jwks.ts";
import { refusal, RUNTIMES, verifierFor } from "./helpers/verify.ts";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function issuer(options?: Parameters<typeof startTestIssuer>[0]): Promise<TestIssuer> {
  const started = await startTestIssuer(options);
  cleanup.push(() => started.close());
  return started;
}

/** A loopback server answering every request with `handler`. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.each(RUNTIMES)("JWKS cache (%s runtime)", (_name, runtime) => {
  it("is fetched once, shared by concurrent first requests", async () => {
    const pool = await issuer();
    const { verifier, jwks } = verifierFor([pool], runtime);
    const tokens = Array.from({ length: 50 }, () => pool.accessToken());
    await Promise.all(tokens.map((t) => verifier.verify(t, "access")));
    expect(jwks[0]!.fetches).toBe(1);
    expect(pool.jwksRequests).toBe(1);
  });

  it("gives up on a JWKS that never answers after its timeout: unavailable, not a hang", async () => {
    const pool = await issuer();
    pool.jwksMode = "hang";
    const { verifier } = verifierFor([pool], runtime, { jwks: { timeoutMs: 200 } });
    const token = pool.accessToken();
    expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(JwksUnavailableError);
  });

  it("keeps verifying with cached keys while the endpoint is down", async () => {
    const pool = await issuer();
    const { verifier, jwks } = verifierFor([pool], runtime, { jwks: { cooldownMs: 0 } });
    await verifier.verify(pool.accessToken(), "access");
    pool.jwksMode = "down";
    for (let i = 0; i < 5; i++) await verifier.verify(pool.accessToken(), "access");
    expect(jwks[0]!.fetches).toBe(1);
    // A kid it does not know cannot be judged while the endpoint is down.
    const unknown = pool.accessToken({}, { kid: "rotated-in" });
    expect(await refusal(verifier.verify(unknown, "access"), unknown)).toBeInstanceOf(JwksUnavailableError);
    await verifier.verify(pool.accessToken(), "access");
  });

  it("with no keys and the endpoint down: unavailable, retried at most once per retry interval", async () => {
    const pool = await issuer();
    pool.jwksMode = "down";
    const { verifier, jwks } = verifierFor([pool], runtime, { jwks: { retryMs: 60_000 } });
    for (let i = 0; i < 20; i++) {
      const token = pool.accessToken();
      expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(JwksUnavailableError);
    }
    expect(jwks[0]!.fetches).toBe(1);
  });

  it("recovers once the endpoint is back", async () => {
    const pool = await issuer();
    pool.jwksMode = "down";
    const { verifier } = verifierFor([pool], runtime, { jwks: { retryMs: 0 } });
    await expect(verifier.verify(pool.accessToken(), "access")).rejects.toBeInstanceOf(JwksUnavailableError);
    pool.jwksMode = "up";
    await expect(verifier.verify(pool.accessToken(), "access")).resolves.toBeDefined();
  });

  it("refetches on every unknown kid when the cooldown is zero (the cooldown is what limits it)", async () => {
    const pool = await issuer();
    const { verifier, jwks } = verifierFor([pool], runtime, { jwks: { cooldownMs: 0 } });
    await verifier.verify(pool.accessToken(), "access");
    for (let i = 0; i < 3; i++) await verifier.verify(pool.accessToken({}, { kid: `k${i}` }), "access").catch(() => undefined);
    expect(jwks[0]!.fetches).toBe(4);
  });

  it("refreshes an old key set in the background, so a removed key stops being trusted", async () => {
    const pool = await issuer();
    const { verifier } = verifierFor([pool], runtime, { jwks: { maxAgeMs: 0, cooldownMs: 0 } });
    const old = pool.key;
    const signedByOld = () => signJwt({ alg: "RS256", kid: old.kid }, claimsOf(pool.accessToken()), old.privateKey);
    await verifier.verify(signedByOld(), "access");
    pool.rotate();
    pool.removeKey(old.kid);
    // Served from the held set until a refresh behind it lands; no restart needed.
    const outcome = () =>
      verifier.verify(signedByOld(), "access").then(
        () => "accepted",
        (e: unknown) => e,
      );
    await expect.poll(outcome).toBeInstanceOf(InvalidSignatureError);
  });

  it("does not follow a redirect from the JWKS URL", async () => {
    const target = await issuer();
    const redirector = await serve((_req, res) => res.writeHead(302, { location: target.jwksUri }).end());
    const cache = new JwksCache(`${redirector}/jwks.json`, { runtime });
    await expect(verifyWith(cache, target.accessToken())).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(target.jwksRequests).toBe(0);
  });

  it("uses only RS256 signing keys of 2048 bits or more from the set", async () => {
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const strong = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = (key: typeof weak.publicKey, extra: object) => ({ ...key.export({ format: "jwk" }), ...extra });
    const keys = [
      jwk(weak.publicKey, { kid: "weak", alg: "RS256", use: "sig" }),
      jwk(strong.publicKey, { kid: "rs512", alg: "RS512" }),
      jwk(strong.publicKey, { kid: "enc", use: "enc" }),
      jwk(ec.publicKey, { kid: "ec" }),
      { kty: "RSA", kid: "broken", n: "AQAB", e: "AQAB" },
      "not a key",
      null,
      jwk(strong.publicKey, { kid: "good" }),
    ];
    const base = await serve((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys })));
    const cache = new JwksCache(`${base}/jwks.json`, { runtime });
    const check = (kid: string, privateKey: typeof weak.privateKey) => verifyWith(cache, signJwt({ alg: "RS256", kid }, { sub: "x" }, privateKey));
    await expect(check("good", strong.privateKey)).resolves.toBe(true);
    for (const kid of ["weak", "rs512", "enc", "ec", "broken"]) {
      await expect(check(kid, kid === "weak" ? weak.privateKey : strong.privateKey)).rejects.toBeInstanceOf(InvalidSignatureError);
    }
  });

  it.each([
    ["not JSON", "<html>"],
    ["no keys array", JSON.stringify({ key: [] })],
    ["no usable key", JSON.stringify({ keys: [] })],
    ["null", "null"],
  ])("treats a JWKS with %s as unavailable, keeping the keys it had", async (_case, body) => {
    const pool = await issuer();
    let broken = false;
    const base = await serve(async (_req, res) => {
      if (broken) return res.writeHead(200, { "content-type": "application/json" }).end(body);
      res.writeHead(200).end(JSON.stringify({ keys: [pool.key.publicJwk] }));
    });
    const cache = new JwksCache(`${base}/jwks.json`, { runtime, cooldownMs: 0 });
    const verify = (token: string) => verifyWith(cache, token);
    await expect(verify(pool.accessToken())).resolves.toBe(true);
    broken = true;
    await expect(verify(pool.accessToken({}, { kid: "new" }))).rejects.toBeInstanceOf(JwksUnavailableError);
    await expect(verify(pool.accessToken())).resolves.toBe(true);
  });
});

describe("JWKS URL", () => {
  it.each(["http://example.com/jwks.json", "http://10.0.0.1/jwks.json", "http://[::2]/jwks.json", "ftp://127.0.0.1/jwks.json"])(
    "refuses %s: plain http is for loopback hosts only",
    (url) => {
      expect(() => new JwksCache(url)).toThrow(ConfigError);
    },
  );

  it.each([
    "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A/.well-known/jwks.json",
    "http://127.0.0.1:9/jwks.json",
    "http://localhost:9/jwks.json",
    "http://[::1]:9/jwks.json",
  ])("accepts %s", (url) => {
    expect(() => new JwksCache(url)).not.toThrow();
  });

  it("times a fetch out after 5 s unless told otherwise", () => {
    expect(new JwksCache("https://keys.example.com/jwks.json").timeoutMs).toBe(5000);
    expect(new JwksCache("https://keys.example.com/jwks.json", { timeoutMs: 300 }).timeoutMs).toBe(300);
  });

  it("shares the key set process-wide: one fetch per URL, whatever the caller's options", async () => {
    const pool = await issuer();
    const url = new URL(pool.jwksUri);
    const first = sharedJwks(url, {});
    const second = sharedJwks(new URL(pool.jwksUri), { timeoutMs: 1 });
    await expect(verifyWith(first, pool.accessToken())).resolves.toBe(true);
    await expect(verifyWith(second, pool.accessToken())).resolves.toBe(true);
    expect(pool.jwksRequests).toBe(1);
    expect(second.fetches).toBe(1);
    // Each keeps its own options.
    expect([first.timeoutMs, second.timeoutMs]).toEqual([5000, 1]);
    const other = sharedJwks(new URL(`${pool.jwksUri}?other`), {});
    expect(other.fetches).toBe(0);
  });

  it("shares only plain data between copies of the library: each copy throws its own errors", async () => {
    const pool = await issuer();
    // Two copies of the library, as Next's module graphs hold them.
    const load = async () => {
      vi.resetModules();
      return { jwks: await import("../src/verify/jwks.ts"), errors: await import("../src/lib/errors.ts") };
    };
    const a = await load();
    const b = await load();
    expect(b.errors.InvalidSignatureError).not.toBe(a.errors.InvalidSignatureError);
    const url = new URL(pool.jwksUri);
    await expect(verifyWith(a.jwks.sharedJwks(url, {}), pool.accessToken())).resolves.toBe(true);
    const fromB = b.jwks.sharedJwks(url, {});
    await expect(verifyWith(fromB, pool.accessToken())).resolves.toBe(true);
    expect(pool.jwksRequests).toBe(1);
    const error = await verifyWith(fromB, pool.accessToken({}, { kid: "unknown" })).catch((e: unknown) => e);
    expect(Object.getPrototypeOf(error)).toBe(b.errors.InvalidSignatureError.prototype);
  });
});

const decode = (segment: string) => JSON.parse(Buffer.from(segment, "base64url").toString());
const claimsOf = (token: string) => decode(token.split(".")[1]!);

/** Check `token`'s signature with `cache` alone, under the kid its header names. */
async function verifyWith(cache: JwksCache, token: string): Promise<boolean> {
  const dot = token.lastIndexOf(".");
  return cache.verify(decode(token.split(".")[0]!).kid, token.slice(0, dot), token.slice(dot + 1));
}
