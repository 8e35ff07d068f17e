// /auth/sign-in passes identity_provider, idp_identifier, lang and login_hint on to the hosted
// UI only when the config allows the value; the app's forbidden page is rendered in place with
// 403; and the options for both (and the account flows) are checked at start-up.
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { hostedUiParameters } from "../src/flows/sign-in.ts";
import { createCognitoSession } from "../src/index.ts";
import { createTestApp, TestBrowser, testAppOptions } from "./helpers/app.ts";
import { signedInCookies } from "./helpers/password-session.ts";

const ALLOWED = { identityProviders: ["Google", "AcmeSAML"], idpIdentifiers: ["example.com"], languages: ["en", "fr"], loginHint: true };

/** Where `/auth/sign-in?<query>` sends the browser, or its status when it does not. */
async function authorizeFor(query: string, allowed: object = ALLOWED): Promise<URL | number> {
  const browser = new TestBrowser(createTestApp({ signInParameters: allowed }));
  const response = await browser.fetch(`/auth/sign-in?${query}`);
  return response.status === 302 ? new URL(response.headers.get("location")!) : response.status;
}

describe("hosted-UI parameters at /auth/sign-in", () => {
  it("passes each allowed value on to the authorize URL", async () => {
    const url = (await authorizeFor("returnTo=/x&identity_provider=Google&lang=fr&login_hint=ada%40example.com")) as URL;
    expect(url.searchParams.get("identity_provider")).toBe("Google");
    expect(url.searchParams.get("lang")).toBe("fr");
    expect(url.searchParams.get("login_hint")).toBe("ada@example.com");
    expect(url.searchParams.get("client_id")).toBe(inject("cognito").clientId);
    const saml = (await authorizeFor("idp_identifier=example.com")) as URL;
    expect(saml.searchParams.get("idp_identifier")).toBe("example.com");
    expect(saml.searchParams.has("identity_provider")).toBe(false);
  });

  it.each([
    ["identity_provider=Facebook", "identity_provider"],
    ["identity_provider=google", "identity_provider"],
    ["identity_provider=Google&identity_provider=AcmeSAML", "identity_provider"],
    ["idp_identifier=evil.example", "idp_identifier"],
    ["lang=de", "lang"],
    ["identity_provider=Google&idp_identifier=example.com", "together"],
    ["login_hint=a%0Ab", "login_hint"],
    [`login_hint=${"a".repeat(129)}`, "login_hint"],
  ])("refuses %s with 400, naming %s, and sets no cookie", async (query, named) => {
    const browser = new TestBrowser(createTestApp({ signInParameters: ALLOWED }));
    const response = await browser.fetch(`/auth/sign-in?${query}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(named);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("refuses every parameter by default, and login_hint unless allowed", async () => {
    expect(await authorizeFor("identity_provider=Google", {})).toBe(400);
    expect(await authorizeFor("lang=en", {})).toBe(400);
    expect(await authorizeFor("login_hint=ada", { ...ALLOWED, loginHint: false })).toBe(400);
    expect(await authorizeFor("identity_provider=&lang=", {})).toBeInstanceOf(URL);
  });

  it("property: for any query, the answer is a 400 or parameters each allowed, given once, and never another name", () => {
    const config = { signInParameters: ALLOWED };
    const hostile = fc.oneof(
      fc.constantFrom("Google", "AcmeSAML", "example.com", "en", "fr", "google", "Google ", "COGNITO", "", "%00", "\u0000", "a\nb", "x".repeat(300)),
      fc.string(),
      fc.string({ unit: "binary" }),
    );
    const name = fc.constantFrom("identity_provider", "idp_identifier", "lang", "login_hint", "client_id", "redirect_uri", "state", "scope");
    fc.assert(
      fc.property(fc.array(fc.tuple(name, hostile), { maxLength: 6 }), (pairs) => {
        const query = new URLSearchParams(pairs);
        const result = hostedUiParameters(query, config);
        if (typeof result === "string") return true;
        const lists: Record<string, readonly string[]> = {
          identity_provider: ALLOWED.identityProviders,
          idp_identifier: ALLOWED.idpIdentifiers,
          lang: ALLOWED.languages,
        };
        return Object.entries(result).every(([key, value]) => {
          const given = query.getAll(key).filter((v) => v !== "");
          if (given.length !== 1 || given[0] !== value) return false;
          if (key === "login_hint") return value.length <= 128 && !/[\u0000-\u001f\u007f]/.test(value);
          return lists[key]?.includes(value) === true;
        });
      }),
      { numRuns: 2000 },
    );
  });

  it("property: the authorize URL's own parameters stay the app's, whatever the query holds", async () => {
    const app = createTestApp({ signInParameters: { ...ALLOWED, identityProviders: ["Google"] } });
    const expected = {
      client_id: inject("cognito").clientId,
      response_type: "code",
      redirect_uri: "http://localhost:3000/auth/callback",
      code_challenge_method: "S256",
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("client_id", "redirect_uri", "response_type", "code_challenge_method", "identity_provider", "lang"), fc.string()), {
          maxLength: 5,
        }),
        async (pairs) => {
          const response = await new TestBrowser(app).fetch(`/auth/sign-in?${new URLSearchParams(pairs)}`);
          if (response.status === 400) return true;
          const url = new URL(response.headers.get("location")!);
          return Object.entries(expected).every(([k, v]) => url.searchParams.getAll(k).length === 1 && url.searchParams.get(k) === v);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("forbidden page", () => {
  const options = { forbiddenPage: "/forbidden", protect: { "/admin/:path*": { groups: ["admins"] }, "/forbidden": { groups: ["admins"] } } };

  it("renders the app's own page in place, with 403, for a signed-in user a rule refuses", async () => {
    const app = createTestApp(options);
    const browser = new TestBrowser(app);
    for (const [name, value] of await signedInCookies(app, inject("cognito").endpoint, "bob@example.com")) browser.cookies.set(name, value);
    const refused = await browser.fetch("/admin/users");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("x-middleware-rewrite")).toBe("http://localhost:3000/forbidden");
    expect(refused.headers.get("cache-control")).toBe("private, no-store");
    // The page itself is never refused, even when a rule covers it.
    expect((await browser.fetch("/forbidden")).headers.get("x-middleware-next")).toBe("1");
  });

  it("keeps the library's own 403 page without the option, and still sends the signed-out to sign in", async () => {
    const app = createTestApp({ protect: options.protect });
    const browser = new TestBrowser(app);
    for (const [name, value] of await signedInCookies(app, inject("cognito").endpoint, "bob@example.com")) browser.cookies.set(name, value);
    const refused = await browser.fetch("/admin/users");
    expect(refused.status).toBe(403);
    expect(refused.headers.has("x-middleware-rewrite")).toBe(false);
    const signedOut = await new TestBrowser(createTestApp(options)).fetch("/admin/users");
    expect(signedOut.status).toBe(307);
  });
});

describe("options checked at start-up", () => {
  const make = (options: object) => () => createCognitoSession(testAppOptions(options));

  it.each([["//evil.example"], ["https://evil.example/x"], ["/forbidden?x=1"], ["/auth/forbidden"], ["forbidden"]])(
    "forbiddenPage %s is a ConfigError naming it",
    (page) => {
      expect(make({ forbiddenPage: page })).toThrow(/forbiddenPage/);
    },
  );

  it.each([["email_verified"], ["phone_number_verified"], ["sub"], ["has space"], [""]])(
    "account.writableAttributes listing %j is a ConfigError naming it",
    (name) => {
      expect(make({ account: { writableAttributes: ["name", name] } })).toThrow(/account\.writableAttributes/);
    },
  );

  it("signInParameters must be lists of names; totpIssuer has no colon", () => {
    expect(make({ signInParameters: { identityProviders: "Google" } })).toThrow(/signInParameters\.identityProviders/);
    expect(make({ signInParameters: { languages: ["e n"] } })).toThrow(/signInParameters\.languages/);
    expect(make({ account: { totpIssuer: "Acme:Corp" } })).toThrow(/account\.totpIssuer/);
    const config = createTestApp({ account: { writableAttributes: ["name", "custom:tenant"] } }).config;
    expect(config.account).toEqual({ writableAttributes: ["name", "custom:tenant"], totpIssuer: "localhost" });
    expect(createTestApp().config.signInParameters).toEqual({ identityProviders: [], idpIdentifiers: [], languages: [], loginHint: false });
  });
});
