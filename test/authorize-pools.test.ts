// Group and scope names belong to the pool that issued them: a partner pool's user in that
// pool's own group `admins` is not one of the app's admins. By default only the app's own
// pool's groups and scopes count; a rule names the other pools it accepts them from. Held
// for middleware `protect` rules, `withAuth`, `requireSession` and `requireGroup` alike.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccessDeniedError,
  type AccessRule,
  authorize,
  type CognitoSession,
  type CognitoSessionOptions,
  ConfigError,
  createCognitoSession,
} from "../src/index.ts";
import { createCognitoMiddleware } from "../src/middleware.ts";
import { toSession } from "../src/session/session.ts";
import { startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";
import type { AccessTokenClaims } from "../src/verify/verifier.ts";
import { APP_URL, SECRET, TestBrowser } from "./helpers/app.ts";
import { coreOf } from "../src/internal.ts";

let own: TestIssuer;
let partner: TestIssuer;
beforeAll(async () => {
  own = await startTestIssuer({ userPoolId: "local_ownPool", clientId: "ownclient" });
  partner = await startTestIssuer({ userPoolId: "local_partnerPool", clientId: "partnerclient" });
});
afterAll(async () => {
  await own.close();
  await partner.close();
});

const PARTNER_ONLY = (): AccessRule => ({ groups: ["admins"], pools: [partner.userPoolId] });

function options(extra: CognitoSessionOptions = {}): CognitoSessionOptions {
  return {
    userPoolId: own.userPoolId,
    clientId: own.clientId,
    issuer: own.issuer,
    jwksUri: own.jwksUri,
    pools: [{ userPoolId: partner.userPoolId, clientIds: [partner.clientId], issuer: partner.issuer, jwksUri: partner.jwksUri }],
    secret: SECRET,
    appUrl: APP_URL,
    env: {},
    ...extra,
  };
}

const adminOf = (issuer: TestIssuer) => issuer.accessToken({ "cognito:groups": ["admins"], scope: "openid orders/read" });
const bearer = (token: string) => ({ accept: "application/json", authorization: `Bearer ${token}` });

describe("authorize counts groups and scopes from the accepted pools only", () => {
  const claims = (groups: string[], scope: string) =>
    ({
      sub: "s",
      iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Any1",
      exp: Math.floor(Date.now() / 1000) + 600,
      iat: Math.floor(Date.now() / 1000),
      token_use: "access",
      client_id: "c",
      username: "u",
      scope,
      "cognito:groups": groups,
    }) as AccessTokenClaims;
  const ownPool = { userPoolId: "eu-west-1_Own1", own: true };
  const partnerPool = { userPoolId: "eu-west-1_Partner1", own: false };
  const ownAdmin = toSession("a.b.c", claims(["admins"], "orders/read"), undefined, ownPool);
  const partnerAdmin = toSession("a.b.c", claims(["admins"], "orders/read"), undefined, partnerPool);

  it("by default, the app's own pool only", () => {
    expect(authorize(ownAdmin, { groups: ["admins"] })).toEqual({ allowed: true });
    expect(authorize(partnerAdmin, { groups: ["admins"] })).toEqual({
      allowed: false,
      reason: "forbidden",
      missingScopes: [],
      missingGroups: ["admins"],
    });
    expect(authorize(partnerAdmin, { scopes: ["orders/read"] })).toMatchObject({ allowed: false, missingScopes: ["orders/read"] });
    expect(authorize(partnerAdmin, { groups: ["admins"], scopes: ["x"], match: "any" })).toMatchObject({ allowed: false });
    // Signed in is signed in: a rule without groups and scopes admits any accepted pool.
    expect(authorize(partnerAdmin, {})).toEqual({ allowed: true });
  });

  it("the pools a rule names, and only those", () => {
    expect(authorize(partnerAdmin, { groups: ["admins"], pools: ["eu-west-1_Partner1"] })).toEqual({ allowed: true });
    expect(authorize(ownAdmin, { groups: ["admins"], pools: ["eu-west-1_Partner1"] })).toMatchObject({ allowed: false });
    const both = { groups: ["admins"], pools: ["eu-west-1_Own1", "eu-west-1_Partner1"] };
    expect(authorize(ownAdmin, both)).toEqual({ allowed: true });
    expect(authorize(partnerAdmin, both)).toEqual({ allowed: true });
  });

  it("none for a session no app verified: one built without its pool, or a copy", () => {
    const unbound = toSession("a.b.c", claims(["admins"], "orders/read"), undefined);
    expect(authorize(unbound, { groups: ["admins"] })).toMatchObject({ allowed: false });
    expect(authorize({ ...ownAdmin }, { groups: ["admins"] })).toMatchObject({ allowed: false });
  });

  // Invariant: whatever groups and scopes another pool puts in its tokens, a rule that does
  // not name that pool is met by its session exactly when the rule asks for neither.
  it("property: a foreign pool's names never meet a rule that does not name its pool", () => {
    const name = fc.stringMatching(/^[\w:/.-]{1,12}$/);
    fc.assert(
      fc.property(
        fc.array(name, { maxLength: 5 }),
        fc.array(name, { maxLength: 5 }),
        fc.array(name, { maxLength: 3 }),
        fc.array(name, { maxLength: 3 }),
        fc.constantFrom("all" as const, "any" as const),
        fc.boolean(),
        (groups, scopes, wantGroups, wantScopes, match, namesOwn) => {
          const session = toSession("a.b.c", claims(groups, scopes.join(" ")), undefined, partnerPool);
          const rule: AccessRule = { groups: wantGroups, scopes: wantScopes, match, ...(namesOwn ? { pools: [ownPool.userPoolId] } : {}) };
          expect(authorize(session, rule).allowed).toBe(wantGroups.length === 0 && wantScopes.length === 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("in an app with a partner pool", () => {
  let app: CognitoSession<any>;
  let browser: TestBrowser<CognitoSession<any>>;
  beforeAll(() => {
    app = createCognitoSession(
      options({ protect: { "/admin/:path*": { groups: ["admins"] }, "/partner-admin/:path*": PARTNER_ONLY(), "/orders/:path*": { scopes: ["orders/read"] } } }),
    );
    browser = new TestBrowser(app);
    browser.routes.set(
      "/api/admin",
      app.withAuth({ groups: ["admins"] }, () => Response.json({ ok: true })),
    );
    browser.routes.set(
      "/api/partner-admin",
      app.withAuth(PARTNER_ONLY(), () => Response.json({ ok: true })),
    );
    browser.routes.set(
      "/api/orders",
      app.withAuth({ scopes: ["orders/read"] }, () => Response.json({ ok: true })),
    );
  });
  const status = async (path: string, token: string) => (await browser.fetch(path, { headers: bearer(token) })).status;

  it("withAuth: the partner's admin is not an admin here, unless the rule names its pool", async () => {
    expect(await status("/api/admin", adminOf(own))).toBe(200);
    expect(await status("/api/admin", adminOf(partner))).toBe(403);
    expect(await status("/api/orders", adminOf(partner))).toBe(403);
    expect(await status("/api/partner-admin", adminOf(partner))).toBe(200);
    expect(await status("/api/partner-admin", adminOf(own))).toBe(403);
  });

  it("requireGroup and requireScope inside withAuth count the pools its rule named", async () => {
    const route = app.withAuth(PARTNER_ONLY(), () => {
      app.requireGroup("admins");
      return Response.json({ ok: true });
    });
    const call = (token: string) => route(new Request(`${APP_URL}/api/partner-admin`, { headers: bearer(token) }), {});
    expect((await call(adminOf(partner))).status).toBe(200);
    // Outside such a rule, only the app's own pool counts (the test above).
    const plain = app.withAuth({}, () => {
      app.requireGroup("admins");
      return Response.json({ ok: true });
    });
    expect((await plain(new Request(`${APP_URL}/api/x`, { headers: bearer(adminOf(partner)) }), {})).status).toBe(403);
  });

  it("cookie sessions: the same, from the first read on", async () => {
    // A fresh app: the first read verifies the tokens itself, the next ones are answered from caches.
    const fresh = createCognitoSession(options());
    const route = fresh.withAuth({ groups: ["admins"] }, () => Response.json({ ok: true }));
    const statusOf = async (issuer: TestIssuer) => {
      const { set } = await coreOf(fresh).storage.write(new Map(), {
        accessToken: adminOf(issuer),
        idToken: undefined,
        refreshToken: undefined,
        endsAt: Math.floor(Date.now() / 1000) + 600,
      });
      const cookie = set.map(({ name, value }) => `${name}=${value}`).join("; ");
      const request = () => new Request(`${APP_URL}/api/admin`, { headers: { accept: "application/json", cookie } });
      return [(await route(request(), {})).status, (await route(request(), {})).status];
    };
    expect(await statusOf(own)).toEqual([200, 200]);
    expect(await statusOf(partner)).toEqual([403, 403]);
  });

  it("protect rules in the middleware: the same", async () => {
    expect(await status("/admin/users", adminOf(own))).toBe(200);
    expect(await status("/admin/users", adminOf(partner))).toBe(403);
    expect(await status("/orders/1", adminOf(partner))).toBe(403);
    expect(await status("/partner-admin/users", adminOf(partner))).toBe(200);
    expect(await status("/partner-admin/users", adminOf(own))).toBe(403);
  });

  it("requireSession, requireGroup and requireScope: the same", async () => {
    const as = (token: string) => new Request(`${APP_URL}/admin`, { headers: bearer(token) });
    const previous = process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS;
    process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = "true";
    try {
      const digest = await app
        .runWithSession(as(adminOf(partner)), () => app.requireSession({ groups: ["admins"] }))
        .then(
          () => "returned",
          (error: { digest?: string }) => error.digest,
        );
      expect(digest).toBe("NEXT_HTTP_ERROR_FALLBACK;403");
    } finally {
      if (previous === undefined) delete process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS;
      else process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = previous;
    }
    const session = await app.runWithSession(as(adminOf(partner)), () => app.requireSession(PARTNER_ONLY()));
    expect(session.userPoolId).toBe(partner.userPoolId);
    await expect(app.runWithSession(as(adminOf(own)), () => app.requireSession({ groups: ["admins"] }))).resolves.toMatchObject({ userPoolId: own.userPoolId });
    await expect(app.runWithSession(as(adminOf(partner)), async () => app.requireGroup("admins"))).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(app.runWithSession(as(adminOf(partner)), async () => app.requireScope("orders/read"))).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(app.runWithSession(as(adminOf(own)), async () => app.requireGroup("admins"))).resolves.toBeDefined();
  });
});

describe("a rule naming pools is checked at start-up", () => {
  const unknown = { groups: ["admins"], pools: ["eu-west-1_Nowhere1"] };

  function settingOf(run: () => unknown): string | undefined {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).setting;
    }
    return undefined;
  }

  it("a pool that is not configured is a ConfigError, for protect, withAuth and requireSession", async () => {
    expect(settingOf(() => createCognitoSession(options({ protect: { "/admin/:path*": unknown } })))).toBe('protect["/admin/:path*"].pools');
    expect(settingOf(() => createCognitoMiddleware(options({ protect: { "/admin/:path*": unknown } })))).toBe('protect["/admin/:path*"].pools');
    const app = createCognitoSession(options());
    expect(settingOf(() => app.withAuth(unknown, () => new Response()))).toBe("withAuth.pools");
    await expect(app.runWithSession(new Request(APP_URL), () => app.requireSession(unknown))).rejects.toMatchObject({
      code: "ERR_CONFIG",
      setting: "requireSession.pools",
    });
    // Both configured pools may be named.
    expect(() => app.withAuth({ groups: ["admins"], pools: [own.userPoolId, partner.userPoolId] }, () => new Response())).not.toThrow();
    expect(() => createCognitoSession(options({ protect: { "/a": { pools: [partner.userPoolId] } } }))).not.toThrow();
  });

  it("a list that names no pool is refused", () => {
    const app = createCognitoSession(options());
    for (const pools of [[], "local_partnerPool", [""], [1]]) {
      expect(settingOf(() => app.withAuth({ groups: ["admins"], pools: pools as never }, () => new Response()))).toBe("withAuth.pools");
      expect(settingOf(() => createCognitoSession(options({ protect: { "/a": { pools: pools as never } } })))).toBe('protect["/a"].pools');
    }
  });
});
