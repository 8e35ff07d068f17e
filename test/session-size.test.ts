// How much of the Cookie header a session may take. A token set that would need more than
// MAX_SESSION_COOKIE_BYTES (or more than MAX_CHUNKS chunks of one cookie) is kept without its
// ID token; one too large even then fails sign-in with a page that says so, and ends the
// session at a refresh. Never a RangeError, never a 500.
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toSetCookieHeaders } from "../src/persistence/changes.ts";
import { cookieHeaderBytes, MAX_CHUNKS, MAX_SESSION_COOKIE_BYTES, MAX_SET_COOKIE, parseCookieHeader } from "../src/persistence/jar.ts";
import { SessionTooLargeError } from "../src/lib/errors.ts";
import { APP_URL, TestBrowser } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { coreOf } from "../src/internal.ts";

const fake = useFakeCognito();
const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
afterEach(() => warn.mockClear());

const now = () => Math.floor(Date.now() / 1000);
const filler = (length: number) => Array.from({ length }, (_, i) => "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36]).join("");
const pairs = (set: Array<{ name: string; value: string }>) => set.map(({ name, value }): [string, string] => [name, value]);

/** The session cookies a response sets, as the browser sends them back. */
const sessionCookies = (response: Response) =>
  response.headers
    .getSetCookie()
    .filter((l) => /^__Host-ncs\.(at|s)[.=]/.test(l) && !/max-age=0/i.test(l))
    .map((l) => l.split(";")[0]!.split("=") as [string, string]);

describe("SessionCookies.write", () => {
  const tokens = (access: number, id: number | undefined) => ({
    accessToken: filler(access),
    idToken: id === undefined ? undefined : filler(id),
    refreshToken: filler(1_800),
    endsAt: now() + 3_600,
  });

  it("keeps a token set of real Cognito's sizes whole, ID token included", async () => {
    const { storage: cookies } = coreOf(fake.app());
    const changes = await cookies.write(new Map(), tokens(1_100, 1_300));
    expect(cookieHeaderBytes(pairs(changes.set))).toBeLessThan(6_000);
    expect(
      (
        await cookies.read(
          parseCookieHeader(
            pairs(changes.set)
              .map((p) => p.join("="))
              .join("; "),
          ),
        )
      )?.idToken,
    ).toBe(filler(1_300));
    expect(warn).not.toHaveBeenCalled();
  });

  /** Token-shaped: base64url parts of random bytes, as Cognito's JWTs and its JWE refresh token are. */
  const shaped = (...bytes: number[]) => bytes.map((n) => randomBytes(n).toString("base64url")).join(".");
  const cognitoLike = (idPayload: number) => ({
    accessToken: shaped(75, 500, 256),
    idToken: shaped(75, idPayload, 256),
    refreshToken: shaped(45, 256, 12, 1_000, 16),
    endsAt: now() + 3_600,
  });

  it("sends a standard Cognito token set (access and ID 1.1 KB, refresh 1.8 KB) in under 4,300 bytes of Cookie header, 2 cookies", async () => {
    const { storage: cookies } = coreOf(fake.app());
    const set = cognitoLike(513);
    const changes = await cookies.write(new Map(), set);
    // The sizes of bench/cookie-bytes.bench.ts's standard set: 1,111, 1,129 and 1,780 characters.
    expect([set.accessToken.length, set.idToken.length, set.refreshToken.length]).toEqual([1_111, 1_128, 1_778]);
    expect(cookieHeaderBytes(pairs(changes.set))).toBeLessThan(4_300);
    expect(changes.set).toHaveLength(2);
    expect(await cookies.read(new Map(pairs(changes.set).map(([n, v]) => [n, [v]])))).toEqual(set);
  });

  it("keeps a 6 KB ID token whole, every Set-Cookie within 4096 bytes", async () => {
    const { storage: cookies } = coreOf(fake.app());
    const set = cognitoLike(4_300);
    expect(set.idToken.length).toBeGreaterThan(6_000);
    const changes = await cookies.write(new Map(), set);
    for (const line of toSetCookieHeaders(changes)) expect(line.length).toBeLessThanOrEqual(MAX_SET_COOKIE);
    expect(await cookies.read(new Map(pairs(changes.set).map(([n, v]) => [n, [v]])))).toEqual(set);
    expect(warn).not.toHaveBeenCalled();
  });

  // 25 000 characters of ID token need 7 chunks of the sealed cookie: a RangeError before.
  it.each([11_000, 25_000, 200_000])(
    "leaves out an ID token of %i characters, keeping the rest within the budget and readable, and says so once",
    async (id) => {
      const { storage: cookies } = coreOf(fake.app());
      for (let i = 0; i < 2; i++) {
        const changes = await cookies.write(new Map(), tokens(1_100, id));
        expect(cookieHeaderBytes(pairs(changes.set))).toBeLessThanOrEqual(MAX_SESSION_COOKIE_BYTES);
        const read = await cookies.read(new Map(pairs(changes.set).map(([n, v]) => [n, [v]])));
        expect(read).toMatchObject({ accessToken: filler(1_100), idToken: undefined, refreshToken: filler(1_800) });
      }
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/ID token is left out.*sessions: "server"/);
      expect(String(warn.mock.calls[0]![0])).not.toContain(filler(40));
    },
  );

  it.each([
    [12_000, 1_000],
    [30_000, undefined],
  ])("throws SessionTooLargeError, not RangeError, when an access token of %i characters does not fit even alone", async (access, id) => {
    const { storage: cookies } = coreOf(fake.app());
    await expect(cookies.write(new Map(), tokens(access, id))).rejects.toBeInstanceOf(SessionTooLargeError);
  });

  it("fits the budget in MAX_CHUNKS chunks of a cookie, each Set-Cookie within 4096 bytes", async () => {
    const { storage: cookies, cookieNames } = coreOf(fake.app());
    // Close to the budget, all of it in the sealed cookie.
    const changes = await cookies.write(new Map(), { ...tokens(100, undefined), refreshToken: filler(11_200) });
    const bytes = cookieHeaderBytes(pairs(changes.set));
    expect(bytes).toBeGreaterThan(MAX_SESSION_COOKIE_BYTES - 1_000);
    expect(bytes).toBeLessThanOrEqual(MAX_SESSION_COOKIE_BYTES);
    expect(changes.set.filter((c) => c.name.startsWith(`${cookieNames.sealed}.`)).length).toBeLessThan(MAX_CHUNKS);
  });
});

describe("a sign-in whose tokens are too large for cookies", () => {
  /** Sign in through the hosted UI with the token endpoint answering `body`. */
  async function signIn(body: () => Promise<Record<string, unknown>>) {
    const app = fake.app({ dev: { allowMissingNonce: true } });
    const browser = new TestBrowser(app);
    browser.routes.set(
      "/api/me",
      app.withAuth({}, (_request, { session }) => Response.json(session.user)),
    );
    const start = await browser.fetch("/auth/sign-in?returnTo=/api/me");
    const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
    fake.onToken = async () => ({ status: 200, body: await body() });
    const callback = await browser.fetch(`/auth/callback?code=the-code&state=${state}`);
    return { app, browser, callback };
  }

  it("keeps a session without the ID token when only the ID token is too large", async () => {
    const { browser, callback } = await signIn(() => fake.tokenSet({ idClaims: { "custom:bio": filler(15_000) } }));
    expect(callback.status).toBe(302);
    for (const line of callback.headers.getSetCookie()) expect(line.length).toBeLessThanOrEqual(MAX_SET_COOKIE);
    expect(cookieHeaderBytes(sessionCookies(callback))).toBeLessThanOrEqual(MAX_SESSION_COOKIE_BYTES);
    const me = await browser.fetch("/api/me", { headers: { accept: "application/json" } });
    expect(me.status).toBe(200);
    // The access token's claims only: who, not their attributes.
    expect(await me.json()).toMatchObject({ sub: "11111111-2222-3333-4444-555555555555", username: "alice" });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("fails with a page saying so, setting no session, when even the access token is too large", async () => {
    const huge = async () => ({
      ...(await fake.tokenSet()),
      access_token: await fake.sign({ sub: "11111111-2222-3333-4444-555555555555", token_use: "access", client_id: fake.clientId, "custom:x": filler(13_000) }),
    });
    const { callback } = await signIn(huge);
    expect(callback.status).toBe(400);
    expect(await callback.text()).toContain("too large for this site&#39;s cookies");
    expect(sessionCookies(callback)).toEqual([]);
  });
});

describe("a refresh whose tokens are too large for cookies", () => {
  /** A browser with a session whose access token has expired, and a route handler. */
  async function expired() {
    const app = fake.app({ clockTolerance: 0 });
    const browser = new TestBrowser(app);
    browser.routes.set(
      "/api/me",
      app.withAuth({}, (_request, { session }) => Response.json(session.user)),
    );
    const accessToken = await fake.sign({
      sub: "u-1",
      token_use: "access",
      client_id: fake.clientId,
      username: "alice",
      iat: now() - 7_200,
      exp: now() - 3_600,
    });
    const changes = await coreOf(app).storage.write(new Map(), { accessToken, idToken: undefined, refreshToken: "opaque-r", endsAt: now() + 3_600 });
    for (const { name, value } of changes.set) browser.cookies.set(name, value);
    return { app, browser };
  }

  it("keeps the session without the ID token when only that is too large", async () => {
    const { browser } = await expired();
    fake.onToken = async () => ({ status: 200, body: await fake.tokenSet({ idClaims: { "custom:bio": filler(15_000) } }) });
    const me = await browser.fetch("/api/me", { headers: { accept: "application/json" } });
    expect(me.status).toBe(200);
    expect(cookieHeaderBytes([...browser.cookies])).toBeLessThanOrEqual(MAX_SESSION_COOKIE_BYTES);
  });

  it("ends the session, clearing its cookies, when even the access token is too large", async () => {
    const { app, browser } = await expired();
    fake.onToken = async () => ({
      status: 200,
      body: {
        ...(await fake.tokenSet()),
        access_token: await fake.sign({
          sub: "11111111-2222-3333-4444-555555555555",
          token_use: "access",
          client_id: fake.clientId,
          "custom:x": filler(13_000),
        }),
      },
    });
    const names = [...browser.cookies.keys()];
    const me = await browser.fetch("/api/me", { headers: { accept: "application/json" } });
    expect(me.status).toBe(401);
    expect(browser.cookies.size).toBe(0);
    const direct = await app.withAuth({}, () => Response.json({}))(
      new Request(`${APP_URL}/api/me`, { headers: { cookie: names.map((n) => `${n}=x`).join("; ") } }),
      {},
    );
    expect(direct.status).toBe(401);
  });
});
