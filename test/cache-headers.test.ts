// Answers computed from a session are the requester's own: `withAuth` (and a Response
// returned from `runWithSession`) never lets a shared cache keep one, whatever the handler
// set, and says which request headers the answer varies with.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CognitoSession, createCognitoSession, NotSignedInError } from "../src/index.ts";
import { startTestIssuer, type TestIssuer, testEnv, testRequest } from "../src/testing/index.ts";

let pool: TestIssuer;
let auth: CognitoSession<any>;
beforeAll(async () => {
  pool = await startTestIssuer();
  auth = createCognitoSession({ env: testEnv(pool) });
});
afterAll(() => pool.close());

/**
 * Oracle (RFC 9111 §3, §5.2.2): whether a shared cache may store a response with this
 * Cache-Control. Only `no-store` and an unqualified `private` forbid it; `public` next to
 * `private` is read the permissive way, as a cache that honours `public` might.
 */
function sharedCacheMayStore(cacheControl: string | null): boolean {
  const directives = (cacheControl ?? "").split(",").map((d) => d.trim().toLowerCase());
  if (directives.includes("no-store")) return false;
  const isPublic = directives.some((d) => d === "public" || d.startsWith("public="));
  return isPublic || !directives.includes("private");
}

/** Whether `Vary` makes a cache key on both credentials headers. */
function variesWithCredentials(vary: string | null): boolean {
  const names = (vary ?? "").split(",").map((n) => n.trim().toLowerCase());
  return names.includes("*") || (names.includes("cookie") && names.includes("authorization"));
}

type Who = "user" | "machine" | "none";
const requestAs = (who: Who, path = "/api/data") =>
  testRequest(auth, pool, path, who === "user" ? { groups: ["staff"] } : who === "machine" ? { machine: ["data/read"] } : null);

describe("withAuth answers", () => {
  const answering = (headers: Record<string, string>) => auth.withAuth({}, () => Response.json({ secret: "alice's" }, { headers }));

  it.each(["user", "machine"] as const)("a %s session's answer gets private, no-store and Vary, though the handler set neither", async (who) => {
    const response = await answering({})(await requestAs(who), {});
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("vary")).toBe("Cookie, Authorization");
    expect(await response.json()).toEqual({ secret: "alice's" });
  });

  it.each(["public, max-age=3600", "s-maxage=600", "max-age=60", "no-cache", 'private="set-cookie", max-age=60', "public, private"])(
    "replaces the handler's %s, which a shared cache may keep",
    async (cacheControl) => {
      const response = await answering({ "cache-control": cacheControl })(await requestAs("user"), {});
      expect(response.headers.get("cache-control")).toBe("private, no-store");
    },
  );

  it.each(["private, max-age=60", "no-store", "NO-STORE, max-age=0", "private", "private, s-maxage=60"])(
    "keeps the handler's %s, which no shared cache keeps",
    async (cacheControl) => {
      const response = await answering({ "cache-control": cacheControl })(await requestAs("user"), {});
      expect(response.headers.get("cache-control")).toBe(cacheControl);
    },
  );

  it.each([
    ["Accept-Encoding", "Accept-Encoding, Cookie, Authorization"],
    ["cookie, Origin", "cookie, Origin, Authorization"],
    ["Authorization,Cookie", "Authorization, Cookie"],
    ["*", "*"],
  ])("merges Vary: %s into %s", async (vary, merged) => {
    const response = await answering({ vary })(await requestAs("user"), {});
    expect(response.headers.get("vary")).toBe(merged);
  });

  it("marks a response with immutable headers (Response.redirect) on a copy", async () => {
    const handler = auth.withAuth({}, () => Response.redirect("http://localhost:3000/done", 302));
    const response = await handler(await requestAs("user"), {});
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("http://localhost:3000/done");
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("vary")).toBe("Cookie, Authorization");
  });

  it("marks its 401, 403 and 503 answers too, and the 401 a handler's NotSignedInError becomes", async () => {
    const denied = [
      await answering({})(await requestAs("none"), {}),
      await auth.withAuth({ scopes: ["orders/read"] }, () => new Response("x"))(await requestAs("user"), {}),
      await auth.withAuth({}, () => {
        throw new NotSignedInError("no session");
      })(await requestAs("user"), {}),
    ];
    // Keys that cannot be fetched: a closed port.
    const offline = createCognitoSession({ env: { ...testEnv(pool), COGNITO_JWKS_URI: "http://127.0.0.1:1/jwks.json" }, timeoutMs: 500 });
    denied.push(await offline.withAuth({}, () => new Response("x"))(await testRequest(offline, pool, "/api/data", { machine: ["a"] }), {}));
    expect(denied.map((r) => r.status)).toEqual([401, 403, 401, 503]);
    for (const response of denied) {
      expect(response.headers.get("cache-control")).toBe("private, no-store");
      expect(response.headers.get("vary")).toBe("Cookie, Authorization");
    }
  });

  const directive = fc.constantFrom(
    "public",
    "private",
    "no-store",
    "no-cache",
    "max-age=60",
    "s-maxage=600",
    'private="set-cookie"',
    "must-revalidate",
    "PRIVATE",
    "No-Store",
    " public ",
    "immutable",
  );
  const cacheControl = fc.option(
    fc.array(directive, { minLength: 1, maxLength: 4 }).map((d) => d.join(",")),
    { nil: undefined },
  );
  const vary = fc.option(
    fc.array(fc.constantFrom("Accept-Encoding", "cookie", "Authorization", "*", "Origin", "COOKIE"), { minLength: 1, maxLength: 3 }).map((v) => v.join(", ")),
    { nil: undefined },
  );

  it("property: whatever Cache-Control and Vary the handler sets, for any caller, no shared cache may keep the answer, it varies with Cookie and Authorization, and a handler's own private or no-store choice is kept", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Who>("user", "machine", "none"), cacheControl, vary, async (who, cc, v) => {
        const headers: Record<string, string> = {};
        if (cc !== undefined) headers["cache-control"] = cc;
        if (v !== undefined) headers.vary = v;
        const response = await answering(headers)(await requestAs(who), {});
        const final = response.headers.get("cache-control");
        if (sharedCacheMayStore(final) || !variesWithCredentials(response.headers.get("vary"))) return false;
        // A value the handler chose that already keeps shared caches out stays as it was.
        const handlerValue = response.status === 200 && cc !== undefined ? new Headers(headers).get("cache-control") : null;
        return handlerValue === null || sharedCacheMayStore(handlerValue) || final === handlerValue;
      }),
      { numRuns: 150 },
    );
  });
});

describe("runWithSession", () => {
  it("marks a Response that fn returns, and hands back anything else as it is", async () => {
    const response = await auth.runWithSession(await requestAs("user"), (session) =>
      Response.json({ sub: session?.user?.sub }, { headers: { "cache-control": "public, s-maxage=60" } }),
    );
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("vary")).toBe("Cookie, Authorization");
    const value = { ok: true };
    expect(await auth.runWithSession(await requestAs("user"), () => value)).toBe(value);
  });
});
