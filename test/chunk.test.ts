import { describe, expect, inject, it } from "vitest";
import { cognito } from "../scripts/cognito-local.mjs";
import {
  type CookieJar,
  MALFORMED,
  MAX_CHUNKS,
  MAX_SESSION_COOKIE_BYTES,
  MAX_SET_COOKIE,
  parseCookieHeader,
  readChunked,
  setCookie,
  splitChunks,
} from "../src/persistence/jar.ts";
import { toSetCookieHeaders } from "../src/persistence/changes.ts";
import { createTestApp, TestBrowser } from "./helpers/app.ts";
import { coreOf } from "../src/internal.ts";

const attributes = { httpOnly: true, secure: true, sameSite: "lax" as const, path: "/", maxAge: 30 * 24 * 3600 };
const jarOf = (chunks: Array<[string, string]>): CookieJar => new Map(chunks.map(([n, v]) => [n, [v]]));
const ascii = (length: number) => Array.from({ length }, (_, i) => "abcdefghijklmnopqrstuvwxyz0123456789-_"[i % 38]).join("");

describe("chunking", () => {
  it.each([10, 3_900, 4_060, 4_100, 8_000, 15_000])("round-trips a %i-character value with every Set-Cookie within 4096 bytes", (length) => {
    const value = ascii(length);
    const chunks = splitChunks("__Host-ncs.s", value, attributes)!;
    for (const [name, part] of chunks) expect(new TextEncoder().encode(setCookie(name, part, attributes)).length).toBeLessThanOrEqual(MAX_SET_COOKIE);
    expect(readChunked(jarOf(chunks), "__Host-ncs.s")).toBe(value);
    if (setCookie("__Host-ncs.s", value, attributes).length <= MAX_SET_COOKIE) expect(chunks).toHaveLength(1);
    else expect(chunks.length).toBeGreaterThan(1);
  });

  it("fills chunks up to the budget rather than a fixed size", () => {
    const chunks = splitChunks("__Host-ncs.s", ascii(12_000), attributes)!;
    const [first] = chunks;
    expect(setCookie(first![0], first![1], attributes).length).toBe(MAX_SET_COOKIE);
  });

  it("answers undefined rather than split a value into more than MAX_CHUNKS chunks", () => {
    expect(splitChunks("n", ascii(MAX_CHUNKS * 4000), attributes)).toHaveLength(MAX_CHUNKS);
    expect(splitChunks("n", ascii(MAX_CHUNKS * 4096), attributes)).toBeUndefined();
  });

  const value = ascii(9_000);
  const good = splitChunks("c", value, attributes)!;
  it.each([
    ["a missing chunk", good.filter(([n]) => n !== "c.1")],
    ["a missing first chunk", good.filter(([n]) => n !== "c.0")],
    ["only a last chunk", good.filter(([n]) => n === "c.2")],
    ["a count past the limit", [["c.0", `${MAX_CHUNKS + 1}~x`], ...good.slice(1)]],
    ["a first chunk without a count", [["c.0", "x"], ...good.slice(1)]],
    ["a whole cookie next to chunks", [["c", "x"], ...good]],
  ] as Array<[string, Array<[string, string]>]>)("reads %s as malformed, never as a partial value", (_, chunks) => {
    expect(readChunked(jarOf(chunks), "c")).toBe(MALFORMED);
  });

  it("reads a duplicated chunk or cookie as malformed", () => {
    const header = good.map(([n, v]) => `${n}=${v}`).join("; ");
    expect(readChunked(parseCookieHeader(header), "c")).toBe(value);
    expect(readChunked(parseCookieHeader(`${header}; c.1=${good[1]![1]}`), "c")).toBe(MALFORMED);
    expect(readChunked(parseCookieHeader("c=a; c=a"), "c")).toBe(MALFORMED);
  });
});

describe("session cookies over 4 KB", () => {
  it("round-trips a 5.5 KB ID token through sign-in, within the Cookie header budget, every Set-Cookie within 4096 bytes", async () => {
    const { endpoint, userPoolId, password } = inject("cognito");
    const email = "erin@example.com";
    // Three long custom attributes give Erin an ID token of about 5.5 KB: with the rest of
    // the set, nearly all of MAX_SESSION_COOKIE_BYTES.
    const bio = (n: number) => `${n}:${"lorem ipsum dolor sit amet ".repeat(64)}`.slice(0, 1_500);
    await cognito(endpoint, "AdminCreateUser", {
      UserPoolId: userPoolId,
      Username: email,
      MessageAction: "SUPPRESS",
      UserAttributes: [
        { Name: "email", Value: email },
        { Name: "email_verified", Value: "true" },
        ...[1, 2, 3].map((n) => ({ Name: `custom:bio${n}`, Value: bio(n) })),
      ],
    });
    await cognito(endpoint, "AdminSetUserPassword", { UserPoolId: userPoolId, Username: email, Password: password, Permanent: true });

    const app = createTestApp();
    const browser = new TestBrowser(app);
    browser.routes.set(
      "/api/me",
      app.withAuth({}, (_req, { session }) => Response.json(session.user)),
    );
    const callback = await browser.signIn(email);
    const tokens = await coreOf(app).storage.read(new Map([...browser.cookies].map(([n, v]) => [n, [v]])));
    expect(tokens!.idToken!.length).toBeGreaterThan(5_500);

    const lines = callback.headers.getSetCookie();
    for (const line of lines) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(MAX_SET_COOKIE);
    expect(browser.cookieHeader().length).toBeLessThanOrEqual(MAX_SESSION_COOKIE_BYTES);
    const sealedChunks = [...browser.cookies.keys()].filter((n) => n.startsWith(`${coreOf(app).cookieNames.sealed}.`));
    expect(sealedChunks.length).toBeGreaterThanOrEqual(2);

    const attributes = await (await browser.fetch("/api/me")).json();
    for (const n of [1, 2, 3]) expect(attributes[`custom:bio${n}`]).toBe(bio(n));
    expect(attributes.email).toBe(email);

    // Figures for the issue note: what the browser sends back with such a session.
    const header = browser.cookieHeader();
    console.info(
      `5.5 KB ID token: ${browser.cookies.size} cookies, Cookie header ${header.length} bytes, largest Set-Cookie ${Math.max(...lines.map((l) => l.length))} bytes`,
    );

    // A missing or duplicated chunk is no session (401 / sign-in), and the rest is cleared.
    for (const broken of [
      header
        .split("; ")
        .filter((p) => !p.startsWith(`${sealedChunks[1]}=`))
        .join("; "),
      `${header}; ${sealedChunks[1]}=${browser.cookies.get(sealedChunks[1]!)}`,
    ]) {
      const me = await browser.fetch("/api/me", { headers: { cookie: broken } });
      expect(me.status).toBe(401);
      const page = await browser.fetch("/dashboard", { headers: { cookie: broken } });
      expect(page.status).toBe(307);
      const cleared = page.headers
        .getSetCookie()
        .filter((l) => /max-age=0/i.test(l))
        .map((l) => l.split("=")[0]);
      expect(cleared).toEqual(expect.arrayContaining([...parseCookieHeader(broken).keys()]));
    }
  });

  it("deletes stale chunks when a session shrinks and when it ends", async () => {
    const app = createTestApp();
    const { storage: cookies, cookieNames } = coreOf(app);
    const big = await cookies.write(new Map(), { accessToken: "a.b.c", idToken: ascii(7_500), refreshToken: "r", endsAt: Date.now() / 1000 + 600 });
    const bigNames = big.set.map((c) => c.name);
    expect(bigNames).toEqual(expect.arrayContaining([`${cookieNames.sealed}.0`, `${cookieNames.sealed}.1`, `${cookieNames.sealed}.2`]));
    const jar: CookieJar = new Map(big.set.map((c) => [c.name, [c.value]]));

    const small = await cookies.write(jar, { accessToken: "a.b.c", idToken: "small", refreshToken: "r", endsAt: Date.now() / 1000 + 600 });
    expect(small.set.map((c) => c.name).sort()).toEqual([cookieNames.access, cookieNames.sealed].sort());
    expect(small.remove.map((c) => c.name).sort()).toEqual(bigNames.filter((n) => n.startsWith(`${cookieNames.sealed}.`)).sort());
    // Deletions go out before the new values, so a browser never holds both forms.
    const headers = toSetCookieHeaders(small);
    expect(headers.findIndex((h) => h.startsWith(`${cookieNames.sealed}=`))).toBeGreaterThan(headers.findLastIndex((h) => /max-age=0/i.test(h)));

    const ended = cookies.clear(jar);
    expect(ended.remove.map((c) => c.name).sort()).toEqual(
      [cookieNames.access, cookieNames.sealed, ...bigNames.filter((n) => n.startsWith(`${cookieNames.sealed}.`))].sort(),
    );
  });
});
