import { describe, expect, it } from "vitest";
import { compileRules } from "../src/http/rules.ts";
import { authorize, authorizeAll, checkRule } from "../src/session/authorize.ts";
import { toSession } from "../src/session/session.ts";
import type { AccessTokenClaims } from "../src/verify/verifier.ts";

const OWN = { userPoolId: "eu-west-1_AbC123", own: true };

// Sessions built straight from claims, as the app's reader builds them for its own pool: authorize() is pure, what it decides on is the claims.
function session(scope: string | undefined, groups: string[] | undefined, username: string | null = "u") {
  const claims = {
    sub: "s",
    iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
    exp: Math.floor(Date.now() / 1000) + 600,
    iat: Math.floor(Date.now() / 1000),
    token_use: "access",
    client_id: "client",
    ...(username === null ? {} : { username }),
    ...(scope === undefined ? {} : { scope }),
    ...(groups === undefined ? {} : { "cognito:groups": groups }),
  } as AccessTokenClaims;
  return toSession("a.b.c", claims, undefined, OWN);
}

describe("authorize", () => {
  const user = session("openid orders/read", ["staff"]);

  it("needs a session for any rule, even an empty one", () => {
    expect(authorize(null)).toEqual({ allowed: false, reason: "unauthenticated" });
    expect(authorize(null, { match: "any" })).toEqual({ allowed: false, reason: "unauthenticated" });
    expect(authorize(user)).toEqual({ allowed: true });
  });

  it("requires every scope and group by default, and names what is missing", () => {
    expect(authorize(user, { scopes: ["orders/read"], groups: ["staff"] })).toEqual({ allowed: true });
    expect(authorize(user, { scopes: ["orders/read", "orders/write"] })).toEqual({
      allowed: false,
      reason: "forbidden",
      missingScopes: ["orders/write"],
      missingGroups: [],
    });
    expect(authorize(user, { scopes: ["orders/read"], groups: ["admins"] })).toMatchObject({
      allowed: false,
      missingGroups: ["admins"],
    });
  });

  it("with match any, one scope or group is enough, none is not", () => {
    expect(authorize(user, { scopes: ["orders/write"], groups: ["staff"], match: "any" })).toEqual({ allowed: true });
    expect(authorize(user, { scopes: ["orders/read", "orders/write"], match: "any" })).toEqual({ allowed: true });
    expect(authorize(user, { scopes: ["orders/write"], groups: ["admins"], match: "any" })).toMatchObject({
      allowed: false,
      reason: "forbidden",
    });
  });

  it("never matches a scope by prefix or a group by case", () => {
    expect(authorize(session("orders/read-all", []), { scopes: ["orders/read"] })).toMatchObject({ allowed: false });
    expect(authorize(session(undefined, ["Admins"]), { groups: ["admins"] })).toMatchObject({ allowed: false });
  });

  it("gives a machine client (no user, no groups) its scopes and no groups", () => {
    const machine = session("orders/read", undefined, null);
    expect(machine.user).toBeNull();
    expect(authorize(machine, { scopes: ["orders/read"] })).toEqual({ allowed: true });
    expect(authorize(machine, { groups: ["admins"] })).toMatchObject({ allowed: false, reason: "forbidden" });
  });
});

describe("authorizeAll: every rule covering a path holds", () => {
  const user = session("openid orders/read", ["staff"]);

  it("refuses a user whom one rule admits and another does not", () => {
    expect(authorizeAll(user, [{}, { groups: ["admins"] }])).toEqual({
      allowed: false,
      reason: "forbidden",
      missingScopes: [],
      missingGroups: ["admins"],
    });
    expect(authorizeAll(user, [{ groups: ["admins"] }, {}])).toMatchObject({ allowed: false, reason: "forbidden" });
  });

  it("names what every refusing rule misses", () => {
    expect(authorizeAll(user, [{ scopes: ["orders/write"] }, { groups: ["admins"] }, { scopes: ["orders/read"] }])).toEqual({
      allowed: false,
      reason: "forbidden",
      missingScopes: ["orders/write"],
      missingGroups: ["admins"],
    });
  });

  it("admits when each rule does, and answers unauthenticated without a session", () => {
    expect(authorizeAll(user, [{}, { groups: ["staff"] }, { scopes: ["orders/read", "x"], match: "any" }])).toEqual({ allowed: true });
    expect(authorizeAll(null, [{}, { groups: ["admins"] }])).toEqual({ allowed: false, reason: "unauthenticated" });
  });
});

describe("rules are checked where they are declared", () => {
  it("refuses scopes that could not go into a WWW-Authenticate challenge", () => {
    for (const scope of ['orders"read', "orders read", "orders\\read", "", "ordérs"]) {
      expect(() => checkRule("withAuth", { scopes: [scope] })).toThrow(/withAuth\.scopes/);
    }
    expect(checkRule("withAuth", { scopes: ["orders/read", "https://api.example.com/x.y"] })).toBeTruthy();
  });

  it("refuses a match other than all / any and groups that are not names", () => {
    expect(() => checkRule("withAuth", { match: "some" as never })).toThrow(/withAuth\.match/);
    expect(() => checkRule("withAuth", { groups: "admins" as never })).toThrow(/withAuth\.groups/);
    expect(() => checkRule("withAuth", { groups: [""] })).toThrow(/withAuth\.groups/);
    expect(() => checkRule("withAuth", null as never)).toThrow(/withAuth/);
  });

  it("checks the factory's protect rules when they are compiled", () => {
    expect(() => compileRules([["/api/:path*", { scopes: ['a"b'] }]])).toThrow(/protect\["\/api\/:path\*"\]\.scopes/);
  });
});
