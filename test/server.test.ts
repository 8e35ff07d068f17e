import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { AccessDeniedError, getAccessToken, NotSignedInError, SessionScopeError } from "../src/index.ts";
import { APP_URL, createTestApp, SECRET } from "./helpers/app.ts";
import { cookieHeader, passwordTokens, signedInCookies } from "./helpers/password-session.ts";
import { coreOf } from "../src/internal.ts";

const app = createTestApp();
let alice: string;
let bob: string;
let aliceAccessToken: string;

beforeAll(async () => {
  const { endpoint } = inject("cognito");
  alice = cookieHeader(await signedInCookies(app, endpoint, "alice@example.com"));
  bob = cookieHeader(await signedInCookies(app, endpoint, "bob@example.com"));
  aliceAccessToken = (await passwordTokens(endpoint, app.config.clientId, "alice@example.com")).AccessToken;
});

const get = (path: string, headers: Record<string, string> = {}) => new Request(new URL(path, APP_URL), { headers });
const challenge = (response: Response) => response.headers.get("www-authenticate");

describe("withAuth", () => {
  const echo = app.withAuth({}, (_request, { session }) =>
    Response.json({ email: session.user?.email ?? null, groups: session.groups, scopes: session.scopes }),
  );
  const admins = app.withAuth({ groups: ["admins"] }, () => Response.json({ ok: true }));
  const orders = app.withAuth({ scopes: ["orders/read"] }, () => Response.json({ ok: true }));

  it("answers 401 invalid_token, with the realm, when there is no session", async () => {
    const response = await echo(get("/api/me"), {});
    expect(response.status).toBe(401);
    expect(challenge(response)).toBe('Bearer realm="localhost:3000", error="invalid_token"');
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(await response.json()).toEqual({ error: "unauthenticated" });
  });

  it("answers 401 to a bad Bearer token, even next to a valid session cookie", async () => {
    const [header, payload] = aliceAccessToken.split(".");
    const forged = `${header}.${payload}.${"A".repeat(342)}`;
    for (const authorization of [`Bearer ${forged}`, "Bearer not-a-jwt", "Bearer ", `Bearer ${aliceAccessToken}x`]) {
      const response = await echo(get("/api/me", { authorization, cookie: alice }), {});
      expect(response.status, authorization.slice(0, 20)).toBe(401);
      expect(challenge(response)).toContain('error="invalid_token"');
    }
  });

  it("serves the cookie session and a Bearer access token alike", async () => {
    const byCookie = await echo(get("/api/me", { cookie: alice }), {});
    expect(byCookie.status).toBe(200);
    expect(await byCookie.json()).toMatchObject({ email: "alice@example.com", groups: ["admins"] });
    const byBearer = await echo(get("/api/me", { authorization: `Bearer ${aliceAccessToken}` }), {});
    expect(byBearer.status).toBe(200);
    // An access token carries no email (that is the ID token's); groups and scopes it does carry.
    expect(await byBearer.json()).toMatchObject({ email: null, groups: ["admins"] });
  });

  it("answers 403 insufficient_scope to a user outside the group, without a scope parameter", async () => {
    expect((await admins(get("/api/admin/stats", { cookie: alice }), {})).status).toBe(200);
    const response = await admins(get("/api/admin/stats", { cookie: bob }), {});
    expect(response.status).toBe(403);
    expect(challenge(response)).toBe('Bearer realm="localhost:3000", error="insufficient_scope"');
    expect(await response.json()).toEqual({ error: "forbidden" });
  });

  it("answers 403 naming the scope a user session lacks", async () => {
    const response = await orders(get("/api/orders", { cookie: alice }), {});
    expect(response.status).toBe(403);
    expect(challenge(response)).toBe('Bearer realm="localhost:3000", error="insufficient_scope", scope="orders/read"');
    const bearer = await orders(get("/api/orders", { authorization: `Bearer ${aliceAccessToken}` }), {});
    expect(bearer.status).toBe(403);
  });

  it("with match any, one of the groups or scopes is enough", async () => {
    const either = app.withAuth({ scopes: ["orders/read"], groups: ["admins"], match: "any" }, () => new Response("ok"));
    expect((await either(get("/x", { cookie: alice }), {})).status).toBe(200);
    expect((await either(get("/x", { cookie: bob }), {})).status).toBe(403);
    const both = app.withAuth({ scopes: ["orders/read"], groups: ["admins"] }, () => new Response("ok"));
    expect((await both(get("/x", { cookie: alice }), {})).status).toBe(403);
  });

  it("passes Next's route context through next to the session", async () => {
    const handler = app.withAuth<{ params: Promise<{ id: string }> }>({}, async (_request, { params, session }) =>
      Response.json({ id: (await params).id, sub: session.user?.sub }),
    );
    const response = await handler(get("/api/orders/7", { cookie: alice }), { params: Promise.resolve({ id: "7" }) });
    expect(await response.json()).toMatchObject({ id: "7", sub: expect.any(String) });
  });

  it("runs the handler in the session's scope and answers what requireScope / requireGroup throw", async () => {
    const deep = async () => app.requireScope("orders/write");
    const scoped = app.withAuth({}, async () => {
      const session = app.currentSession();
      if (session?.user?.email !== "alice@example.com") return new Response("wrong scope", { status: 500 });
      app.requireGroup("admins");
      await deep();
      return new Response("unreachable");
    });
    const response = await scoped(get("/x", { cookie: alice }), {});
    expect(response.status).toBe(403);
    expect(challenge(response)).toBe('Bearer realm="localhost:3000", error="insufficient_scope", scope="orders/write"');

    const groupOnly = app.withAuth({}, () => {
      app.requireGroup("admins");
      return new Response("ok");
    });
    expect((await groupOnly(get("/x", { cookie: bob }), {})).status).toBe(403);
    expect((await groupOnly(get("/x", { cookie: alice }), {})).status).toBe(200);
  });

  it("adds its cookie writes even to a response with immutable headers (Response.redirect)", async () => {
    // Cookies sealed with a secret that is no longer the newest are written again by withAuth.
    const rotated = createTestApp({ secret: ["a-newer-secret-0123456789-abcdefghijkl", SECRET] });
    const handler = rotated.withAuth({}, () => Response.redirect(`${APP_URL}/done`, 302));
    const response = await handler(get("/api/go", { cookie: alice }), {});
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${APP_URL}/done`);
    expect(response.headers.getSetCookie().length).toBeGreaterThan(0);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("lets other errors from the handler through", async () => {
    const broken = app.withAuth({}, () => {
      throw new Error("boom");
    });
    await expect(broken(get("/x", { cookie: alice }), {})).rejects.toThrow("boom");
  });

  it("answers 503, not 401, when the pool's keys cannot be fetched for a Bearer token", async () => {
    const offline = createTestApp({ jwksUri: "http://127.0.0.1:1/jwks.json", timeoutMs: 500 });
    const handler = offline.withAuth({}, () => new Response("ok"));
    const response = await handler(get("/x", { authorization: `Bearer ${aliceAccessToken}` }), {});
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
  });

  it("refuses rules that could not be enforced or put in a challenge", () => {
    expect(() => app.withAuth({ scopes: ['a" , error="none'] }, () => new Response())).toThrow(/withAuth\.scopes/);
    expect(() => app.withAuth({ match: "most" as "all" }, () => new Response())).toThrow(/withAuth\.match/);
  });
});

describe("runWithSession and the scope", () => {
  it("gives nested code the request's session, verified from its own cookies", async () => {
    const nested = async () => {
      await new Promise((r) => setTimeout(r, 5));
      return app.currentSession()?.user?.email;
    };
    const email = await app.runWithSession(get("/", { cookie: alice }), async (session) => {
      expect(session?.user?.email).toBe("alice@example.com");
      return nested();
    });
    expect(email).toBe("alice@example.com");
  });

  it("keeps concurrent requests apart", async () => {
    const who = (cookie: string, delay: number) =>
      app.runWithSession(get("/", { cookie }), async () => {
        await new Promise((r) => setTimeout(r, delay));
        return app.currentSession()?.user?.email;
      });
    expect(await Promise.all([who(alice, 20), who(bob, 1), who(alice, 1), who(bob, 15)])).toEqual([
      "alice@example.com",
      "bob@example.com",
      "alice@example.com",
      "bob@example.com",
    ]);
  });

  it("gives null for a signed-out request, and requireScope throws NotSignedInError there", async () => {
    await app.runWithSession(get("/"), (session) => {
      expect(session).toBeNull();
      expect(app.currentSession()).toBeNull();
      expect(() => app.requireScope("openid")).toThrow(NotSignedInError);
    });
  });

  it("requireScope and requireGroup return the session or throw AccessDeniedError naming what is missing", async () => {
    await app.runWithSession(get("/", { cookie: bob }), () => {
      // The embedded Cognito's password sign-in grants this one scope, as real Cognito does.
      expect(app.requireScope("aws.cognito.signin.user.admin").user?.email).toBe("bob@example.com");
      const denied = (() => {
        try {
          app.requireGroup("admins");
        } catch (error) {
          return error;
        }
      })();
      expect(denied).toBeInstanceOf(AccessDeniedError);
      expect(denied).toMatchObject({ code: "ERR_ACCESS_DENIED", missingGroups: ["admins"], missingScopes: [] });
      expect(() => app.requireScope("aws.cognito.signin.user.admin", "orders/read")).toThrow(AccessDeniedError);
    });
  });

  it("refuses currentSession and requireScope outside a scope instead of guessing", () => {
    expect(() => app.currentSession()).toThrow(SessionScopeError);
    expect(() => app.requireScope("openid")).toThrow(SessionScopeError);
  });

  it("without a request, reuses the enclosing scope; getServerSession reads it too", async () => {
    await app.runWithSession(get("/", { cookie: alice }), async () => {
      const inner = await app.runWithSession(async (session) => session?.user?.email);
      expect(inner).toBe("alice@example.com");
      expect((await app.getServerSession())?.user?.email).toBe("alice@example.com");
    });
  });

  it("keeps one app's scope from another's", async () => {
    const other = createTestApp();
    await app.runWithSession(get("/", { cookie: alice }), () => {
      expect(() => other.currentSession()).toThrow(SessionScopeError);
    });
  });

  it("opens and verifies a request's cookies once however often it is asked, and again when its credentials change", async () => {
    const counting = createTestApp();
    const opens = vi.spyOn(coreOf(counting).storage, "open");
    const verifies = vi.spyOn(coreOf(counting).verifier, "verify");
    const request = get("/", { cookie: alice });
    // Asked at once (a layout and its pages): one read, shared.
    const sessions = await Promise.all(Array.from({ length: 20 }, () => counting.runWithSession(request, (s) => s)));
    expect(opens).toHaveBeenCalledTimes(1);
    expect(verifies).toHaveBeenCalledTimes(2); // the access and the ID token
    expect(new Set(sessions).size).toBe(1);
    // Asked again later in the request, and by the next request with the same cookies: the session cache answers.
    for (let i = 0; i < 5; i++) expect(await counting.runWithSession(request, (s) => s)).toBe(sessions[0]);
    await counting.runWithSession(get("/", { cookie: alice }), () => undefined);
    expect(opens).toHaveBeenCalledTimes(1);
    expect(verifies).toHaveBeenCalledTimes(2);
    request.headers.set("cookie", bob);
    expect((await counting.runWithSession(request, (s) => s))?.user?.email).toBe("bob@example.com");
    expect(opens).toHaveBeenCalledTimes(2);
  });

  it("ignores every header that claims to carry a session", async () => {
    const forged = {
      "x-ncs-session": JSON.stringify({ user: { sub: "admin", email: "alice@example.com" }, groups: ["admins"] }),
      "x-ncs-path": "/admin",
      "x-user": "alice@example.com",
      "x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware",
      "x-middleware-request-cookie": alice,
      "x-middleware-override-headers": "cookie",
      "x-amzn-oidc-data": aliceAccessToken,
      "x-forwarded-user": "alice",
    };
    expect(await app.runWithSession(get("/admin", forged), (s) => s)).toBeNull();
    const handler = app.withAuth({}, () => new Response("secret"));
    expect((await handler(get("/api/me", forged), {})).status).toBe(401);
  });
});

describe("the session object", () => {
  it("is frozen, typed from the tokens, and holds no token; the access token comes from getAccessToken", async () => {
    const session = await app.runWithSession(get("/", { cookie: alice }), (s) => s!);
    expect(Object.isFrozen(session)).toBe(true);
    expect(Object.isFrozen(session.user)).toBe(true);
    expect(Object.isFrozen(session.scopes)).toBe(true);
    expect(Object.isFrozen(session.groups)).toBe(true);
    const { issuer, userPoolId } = inject("cognito");
    expect(session).toMatchObject({ issuer, userPoolId, clientId: app.config.clientId, groups: ["admins"] });
    expect(session.user).toMatchObject({ email: "alice@example.com", username: expect.any(String), sub: expect.any(String) });
    expect(session.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(JSON.stringify(session)).not.toMatch(/eyJ|Fe26/);
    expect(getAccessToken(session)).toMatch(/^eyJ/);
    expect(() => getAccessToken({ ...session })).toThrow(TypeError);
  });
});

describe("requireSession", () => {
  // What Next's redirect() and forbidden() throw; Next turns them into the redirect and the forbidden page.
  const interrupt = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      return (error as { digest?: string }).digest;
    }
    return "returned";
  };

  it("returns the session when it meets the rule", async () => {
    const session = await app.runWithSession(get("/admin", { cookie: alice }), () => app.requireSession({ groups: ["admins"] }));
    expect(session.user?.email).toBe("alice@example.com");
  });

  it("redirects a signed-out visitor to sign-in, coming back to a same-origin path only", async () => {
    const signedOut = (returnTo?: string) => interrupt(() => app.runWithSession(get("/admin"), () => app.requireSession({ groups: ["admins"], returnTo })));
    expect(await signedOut("/admin?tab=2")).toBe(`NEXT_REDIRECT;replace;/auth/sign-in?returnTo=${encodeURIComponent("/admin?tab=2")};307;`);
    expect(await signedOut("//evil.example/admin")).toBe("NEXT_REDIRECT;replace;/auth/sign-in?returnTo=%2F;307;");
    // Outside a request that went through the middleware, the path is unknown: back to /.
    expect(await signedOut()).toBe("NEXT_REDIRECT;replace;/auth/sign-in?returnTo=%2F;307;");
  });

  it("renders Next's forbidden page for a signed-in user outside the group", async () => {
    const previous = process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS;
    process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = "true";
    try {
      const digest = await interrupt(() => app.runWithSession(get("/admin", { cookie: bob }), () => app.requireSession({ groups: ["admins"] })));
      expect(digest).toBe("NEXT_HTTP_ERROR_FALLBACK;403");
      const scope = await interrupt(() => app.runWithSession(get("/", { cookie: alice }), () => app.requireSession({ scopes: ["orders/read"] })));
      expect(scope).toBe("NEXT_HTTP_ERROR_FALLBACK;403");
    } finally {
      if (previous === undefined) delete process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS;
      else process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = previous;
    }
  });

  it("throws JwksUnavailableError rather than sending a signed-in user to sign in when keys cannot be fetched", async () => {
    const offline = createTestApp({ jwksUri: "http://127.0.0.1:1/jwks.json", timeoutMs: 500 });
    const result = offline.runWithSession(get("/admin", { cookie: alice }), () => offline.requireSession());
    await expect(result).rejects.toMatchObject({ code: "ERR_JWKS_UNAVAILABLE" });
  });
});
