// Inputs no code path expected, through every read path: the middleware (protected and open
// paths), withAuth behind it and without it, runWithSession. Each is no session (sign-in,
// 401, null) with the cookies it could not read cleared; an outage stays a 503 with the
// cookies kept. Never a throw, so never a 500.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CognitoUnavailableError, JwksUnavailableError } from "../src/lib/errors.ts";
import type { CognitoSessionOptions } from "../src/index.ts";
import { type Overrides, startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";
import { APP_URL, createTestApp, TestBrowser, testAppOptions } from "./helpers/app.ts";
import { coreOf } from "../src/internal.ts";

let pool: TestIssuer;
beforeAll(async () => {
  pool = await startTestIssuer({ userPoolId: "local_no500", clientId: "no500client" });
});
afterAll(() => pool.close());

const options = (extra: CognitoSessionOptions = {}): CognitoSessionOptions => ({
  userPoolId: pool.userPoolId,
  clientId: pool.clientId,
  issuer: pool.issuer,
  jwksUri: pool.jwksUri,
  protect: { "/dashboard/:path*": {}, "/api/orders/:path*": {} },
  ...extra,
});

type App = Pick<ReturnType<typeof createTestApp>, "middleware" | "withAuth" | "runWithSession">;

function browserFor(app: App): TestBrowser<App> {
  const browser = new TestBrowser(app);
  const echo = app.withAuth({}, (_request, { session }) => Response.json({ sub: session.user?.sub ?? session.clientId }));
  browser.routes.set("/api/me", echo);
  browser.routes.set("/api/orders", echo);
  return browser;
}

const now = () => Math.floor(Date.now() / 1000);
const json = { accept: "application/json" };
const cleared = (response: Response) =>
  response.headers
    .getSetCookie()
    .filter((l) => /max-age=0/i.test(l))
    .map((l) => l.split("=")[0]!);

/**
 * The Cookie header of a session for the pool's tokens, as `writer` (by default the app
 * itself, which then holds the seal opened) wrote it.
 */
async function signedIn(app: App, access: Overrides = {}, writer: App = app): Promise<string> {
  const sub = "00000000-0000-0000-0000-000000000001";
  const changes = await coreOf(writer).storage.write(
    new Map(),
    {
      accessToken: pool.accessToken({ sub, ...access }),
      idToken: pool.idToken({ sub }),
      refreshToken: "opaque-refresh-token",
      endsAt: now() + 3600,
    },
    { newSession: true },
  );
  return changes.set.map(({ name, value }) => `${name}=${value}`).join("; ");
}

/** What every read path makes of a request carrying `cookie`. */
async function everyPath(app: App, cookie: string) {
  const browser = browserFor(app);
  const page = await browser.fetch("/dashboard", { headers: { cookie } });
  const open = await browser.fetch("/", { headers: { cookie } });
  const api = await browser.fetch("/api/me", { headers: { ...json, cookie } });
  // A request that skipped the middleware.
  const direct = await app.withAuth({}, () => Response.json({}))(new Request(`${APP_URL}/api/me`, { headers: { cookie } }), {});
  const scoped = await app.runWithSession(new Request(`${APP_URL}/`, { headers: { cookie } }), (session) => session);
  return { page, open, api, direct, scoped };
}

/** Every read path found no session, and each response that could clear `names` did. */
function expectNoSessionCleared(outcome: Awaited<ReturnType<typeof everyPath>>, names: string[], what: string): void {
  const { page, open, api, direct, scoped } = outcome;
  expect(page.status, what).toBe(307);
  expect(new URL(page.headers.get("location")!).pathname, what).toBe("/auth/sign-in");
  expect(open.headers.get("x-middleware-next"), what).toBe("1");
  expect(api.status, what).toBe(401);
  expect(direct.status, what).toBe(401);
  expect(scoped, what).toBeNull();
  for (const response of [page, open, api, direct]) {
    expect(cleared(response), what).toEqual(expect.arrayContaining(names));
    expect(response.headers.get("cache-control"), what).toBe("private, no-store");
  }
}

describe("server-side sessions: an id cookie no decoder can read", () => {
  const app = () => createTestApp(options({ sessions: "server" }));

  it.each([
    ["one character (4k+1, on which atob throws)", "a"],
    ["five characters", "AAAAA"],
    ["4 097 characters", "A".repeat(4_097)],
    ["no base64 at all", "%%%%"],
    ["padding", "QUJD="],
    ["standard base64", "Q+/D"],
    ["an empty value", ""],
  ])("is no session everywhere, and cleared: %s", async (_what, value) => {
    const application = app();
    const name = coreOf(application).cookieNames.id;
    expect(name).toBe("__Host-ncs.id");
    expectNoSessionCleared(await everyPath(application, `${name}=${value}`), [name], JSON.stringify(value));
  });

  it("still reads a real one", async () => {
    const application = app();
    const outcome = await everyPath(application, await signedIn(application));
    expect(outcome.direct.status).toBe(200);
    expect(outcome.scoped?.user?.sub).toBe("00000000-0000-0000-0000-000000000001");
  });
});

describe("cookie sessions: chunks and values no reader expected", () => {
  it.each([
    ["a count past any limit", (at: string) => `${at}.0=9~x; ${at}.1=y`],
    ["a count that is not a digit", (at: string) => `${at}.0=x~y`],
    ["a chunk without its first", (at: string) => `${at}.1=x`],
    ["an access token of 4k+1 characters", (at: string) => `${at}=${"A".repeat(4_097)}`],
    ["an access token with a 341-character signature", (at: string) => `${at}=${pool.accessToken().slice(0, -1)}`],
    // Before, the sealed part read as absent, and a valid access token alone made a session.
    ["a valid access token next to the remains of a sealed cookie", (at: string) => `${at}=${pool.accessToken()}; ${at.replace(/\.at$/, ".s")}.2=left-over`],
  ])("%s is no session everywhere, and cleared", async (what, cookie) => {
    const app = createTestApp(options());
    const at = coreOf(app).cookieNames.access;
    const header = cookie(at);
    const names = header.split("; ").map((pair) => pair.split("=")[0]!);
    expectNoSessionCleared(await everyPath(app, header), names, what);
  });
});

describe("anything that throws while a session is read", () => {
  it.each([
    ["verifying a token", (app: App) => vi.spyOn(coreOf(app).verifier, "verify").mockRejectedValue(new TypeError("unexpected"))],
    ["opening the cookies", (app: App) => vi.spyOn(coreOf(app).storage, "open").mockRejectedValue(new DOMException("unexpected", "InvalidCharacterError"))],
    [
      "looking up the session cache",
      (app: App) =>
        vi.spyOn(coreOf(app).reader.cache, "get").mockImplementation(() => {
          throw new RangeError("unexpected");
        }),
    ],
  ])("means no session, with the cookies cleared: %s", async (_what, breakIt) => {
    const app = createTestApp(options());
    // Written by another instance, so this one has nothing cached and reads the cookies afresh.
    const cookie = await signedIn(app, {}, createTestApp(options()));
    breakIt(app);
    const names = cookie.split("; ").map((pair) => pair.split("=")[0]!);
    expectNoSessionCleared(await everyPath(app, cookie), names, _what);
  });

  it("means no session for a Bearer token too: 401 at a route handler and at a protected API path", async () => {
    const app = createTestApp(options());
    vi.spyOn(coreOf(app).verifier, "verify").mockRejectedValue(new TypeError("unexpected"));
    const browser = browserFor(app);
    const authorization = `Bearer ${pool.accessToken()}`;
    for (const path of ["/api/me", "/api/orders"]) {
      expect((await browser.fetch(path, { headers: { ...json, authorization } })).status, path).toBe(401);
    }
    const direct = await app.withAuth({}, () => Response.json({}))(new Request(`${APP_URL}/api/me`, { headers: { authorization } }), {});
    expect(direct.status).toBe(401);
    expect(await app.runWithSession(new Request(`${APP_URL}/`, { headers: { authorization } }), (session) => session)).toBeNull();
  });

  it("but keys that cannot be fetched stay a 503, the cookies kept", async () => {
    const app = createTestApp(options());
    const cookie = await signedIn(app);
    vi.spyOn(coreOf(app).verifier, "verify").mockRejectedValue(new JwksUnavailableError("down"));
    const { page, open, api, direct } = await everyPath(app, cookie);
    expect([page.status, api.status, direct.status]).toEqual([503, 503, 503]);
    expect(open.headers.get("x-middleware-next")).toBe("1");
    for (const response of [page, open, api, direct]) expect(cleared(response)).toEqual([]);
  });

  it("and while refreshing an expired session: no session, cookies cleared; a library failure keeps them", async () => {
    const expired = { iat: now() - 7_200, exp: now() - 3_600 };
    for (const [failure, clears] of [
      [new TypeError("unexpected"), true],
      [new CognitoUnavailableError("down"), false],
    ] as const) {
      const app = createTestApp(options({ clockTolerance: 0 }));
      const cookie = await signedIn(app, expired);
      vi.spyOn(coreOf(app).refresher, "refresh").mockRejectedValue(failure);
      const browser = browserFor(app);
      const page = await browser.fetch("/dashboard", { headers: { cookie } });
      const direct = await app.withAuth({}, () => Response.json({}))(new Request(`${APP_URL}/api/me`, { headers: { cookie } }), {});
      expect([page.status, direct.status], failure.name).toEqual([307, 401]);
      for (const response of [page, direct]) expect(cleared(response).length > 0, failure.name).toBe(clears);
    }
  });
});

describe("errors made by another copy of the library (Next bundles one per module graph)", () => {
  it("answer 401 to a Bearer token with an unknown or junk kid once another copy has loaded the keys", async () => {
    const bearer = (token: string) => ({ ...json, authorization: `Bearer ${token}` });
    const first = browserFor(createTestApp(options()));
    expect((await first.fetch("/api/me", { headers: bearer(pool.accessToken()) })).status).toBe(200);
    vi.resetModules();
    const copy: typeof import("../src/index.ts") = await import("../src/index.ts");
    const browser = browserFor(copy.createCognitoSession(testAppOptions(options())));
    for (const kid of ["not-a-key", "../../etc/passwd", "\u0000", "k".repeat(300), pool.key.kid.toLowerCase()]) {
      for (const path of ["/api/me", "/api/orders"]) {
        expect((await browser.fetch(path, { headers: bearer(pool.accessToken({}, { kid })) })).status, `${kid} at ${path}`).toBe(401);
      }
    }
    expect((await browser.fetch("/api/me", { headers: bearer(pool.accessToken()) })).status).toBe(200);
  });
});

describe("on the WebCrypto runtime (Edge middleware)", () => {
  /** The app as a copy of the library loaded where `EdgeRuntime` is defined, as in Next's Edge sandbox. */
  async function edgeApp(): Promise<App> {
    const holder = globalThis as { EdgeRuntime?: string };
    vi.resetModules();
    holder.EdgeRuntime = "edge-runtime";
    try {
      const copy: typeof import("../src/index.ts") = await import("../src/index.ts");
      return copy.createCognitoSession(testAppOptions(options()));
    } finally {
      delete holder.EdgeRuntime;
    }
  }

  it("answers a token whose signature has 4k+1 characters as no session, on open and protected paths", async () => {
    const app = await edgeApp();
    expect(coreOf(app).jwks.runtime.name).toBe("web");
    const good = pool.accessToken();
    const token = good.slice(0, -1);
    expect(token.split(".")[2]!.length % 4).toBe(1);
    const browser = browserFor(app);
    for (const path of ["/api/me", "/api/orders"]) {
      expect((await browser.fetch(path, { headers: { ...json, authorization: `Bearer ${token}` } })).status, path).toBe(401);
    }
    const open = await browser.fetch("/", { headers: { authorization: `Bearer ${token}` } });
    expect(open.headers.get("x-middleware-next")).toBe("1");
    const name = coreOf(app).cookieNames.access;
    expectNoSessionCleared(await everyPath(app, `${name}=${token}`), [name], "as the cookie");
    expect((await browser.fetch("/api/me", { headers: { ...json, authorization: `Bearer ${good}` } })).status).toBe(200);
  });
});
