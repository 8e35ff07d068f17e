// Property tests for what reads the Cookie header: the parser, chunk reassembly, and the
// session read on top of them. Each property's name states the invariant it holds.
import fc from "fast-check";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import {
  chunkNames,
  type CookieJar,
  cookieHeaderBytes,
  formatCookieHeader,
  MALFORMED,
  MAX_CHUNKS,
  MAX_SESSION_COOKIE_BYTES,
  MAX_SET_COOKIE,
  parseCookieHeader,
  readChunked,
  readChunks,
  setCookie,
  splitChunks,
} from "../src/persistence/jar.ts";
import { resolveSession } from "../src/session/resolve.ts";
import { APP_URL } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { coreOf } from "../src/internal.ts";

const attributes = { httpOnly: true, secure: true, sameSite: "lax" as const, path: "/", maxAge: 30 * 24 * 3600 };

/** RFC 6265 token characters: what a cookie name is made of. */
const NAME_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".split("");
/** cookie-octet: what a cookie value is made of (no blank, quote, comma, semicolon or backslash). */
const VALUE_CHARS = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => !`",;\\`.includes(c));
/** What the library's own values (JWTs, iron seals, sealed ids) are made of. */
const OUR_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.*~".split("");

const cookieName = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 12 });
const cookieValue = fc.string({ unit: fc.constantFrom(...VALUE_CHARS), maxLength: 40 });
const blanks = fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 2 });
/** Text a Headers object accepts: printable ASCII and tabs. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), "\t"), maxLength });

describe("parseCookieHeader", () => {
  it("never throws, and yields only non-empty names without = or ; and values without ;", () => {
    const anyText = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({ unit: fc.constantFrom("a", "=", ";", " ", "\t", "\u00a0", "\u2028"), maxLength: 60 }),
    );
    fc.assert(
      fc.property(anyText, (header) => {
        const jar = parseCookieHeader(header);
        for (const [name, values] of jar) {
          expect(name).not.toBe("");
          expect(name).not.toMatch(/[=;]/);
          expect(values.length).toBeGreaterThan(0);
          for (const value of values) expect(value).not.toContain(";");
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it("reads a header of name=value pairs back as those pairs, in order, duplicates kept, whatever blanks surround them", () => {
    const pairs = fc.array(fc.tuple(cookieName, cookieValue, blanks, blanks, blanks), { maxLength: 8 });
    fc.assert(
      fc.property(pairs, fc.boolean(), (list, trailing) => {
        const header = list.map(([n, v, a, b, c]) => `${a}${n}${b}=${c}${v}${c}`).join(";") + (trailing ? "; " : "");
        const expected: CookieJar = new Map();
        for (const [n, v] of list) expected.set(n, [...(expected.get(n) ?? []), v]);
        expect(parseCookieHeader(header)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips any jar through formatCookieHeader", () => {
    const jars = fc.array(fc.tuple(cookieName, fc.array(cookieValue, { minLength: 1, maxLength: 3 })), { maxLength: 6 }).map((entries) => new Map(entries));
    fc.assert(
      fc.property(jars, (jar) => {
        expect(parseCookieHeader(formatCookieHeader(jar))).toEqual(jar);
      }),
      { numRuns: 300 },
    );
  });
});

/** The Cookie header a browser sends back for `cookies`, in any order, among other cookies. */
const inAnyOrder = (cookies: Array<[string, string]>, others: Array<[string, string]>) =>
  fc.shuffledSubarray([...cookies, ...others], { minLength: cookies.length + others.length }).map((all) => all.map(([n, v]) => `${n}=${v}`).join("; "));

const others = fc.array(
  fc.tuple(
    cookieName.filter((n) => !n.startsWith("c")),
    cookieValue,
  ),
  { maxLength: 3 },
);
/** A value of the library's alphabet of `min`–`max` characters (a random run repeated: drawing kilobytes one character at a time is slow). */
const longValue = (min: number, max: number) =>
  fc
    .tuple(fc.string({ unit: fc.constantFrom(...OUR_CHARS), minLength: 97, maxLength: 97 }), fc.integer({ min, max }))
    .map(([run, length]) => run.repeat(Math.ceil(length / run.length)).slice(0, length));
/** Values of the library's alphabet, from empty to past what MAX_CHUNKS chunks hold. */
const ourValue = fc.oneof(fc.string({ unit: fc.constantFrom(...OUR_CHARS), maxLength: 200 }), longValue(3_900, MAX_CHUNKS * 4_096));

describe("chunks", () => {
  it("split then parse round-trips any value that fits in MAX_CHUNKS chunks, each Set-Cookie within 4096 bytes; a longer one is not split at all", () => {
    fc.assert(
      fc.property(
        ourValue.chain((value) => fc.tuple(fc.constant(value), others)),
        ([value, rest]) => {
          const chunks = splitChunks("c", value, attributes);
          const room = MAX_SET_COOKIE - setCookie("c.0", "", attributes).length - 2;
          if (chunks === undefined) {
            expect(value.length).toBeGreaterThan(MAX_CHUNKS * room);
            return;
          }
          expect(chunks.length).toBeLessThanOrEqual(MAX_CHUNKS);
          for (const [name, part] of chunks) expect(setCookie(name, part, attributes).length).toBeLessThanOrEqual(MAX_SET_COOKIE);
          fc.assert(
            fc.property(inAnyOrder(chunks, rest), (header) => {
              expect(readChunked(parseCookieHeader(header), "c")).toBe(value);
            }),
            { numRuns: 3 },
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  /** What a browser may send back of a chunked value: chunks lost, doubled, or left over from a longer value. */
  const damage = fc.record({
    drop: fc.uniqueArray(fc.nat({ max: MAX_CHUNKS - 1 }), { maxLength: 2 }),
    duplicate: fc.uniqueArray(fc.tuple(fc.nat({ max: MAX_CHUNKS - 1 }), fc.boolean()), { maxLength: 2, selector: ([i]) => i }),
    whole: fc.boolean(),
    stale: fc.uniqueArray(fc.nat({ max: MAX_CHUNKS - 1 }), { maxLength: 2 }),
  });

  it("reads a value whole or not at all: a missing or duplicated chunk, or the whole cookie next to a first chunk, is malformed; stale chunks past the count are ignored", () => {
    fc.assert(
      fc.property(longValue(4_200, 4 * 4_000), damage, others, (v, { drop, duplicate: doubling, whole, stale }, rest) => {
        const chunks = splitChunks("c", v, attributes)!;
        const count = chunks.length;
        const sent: Array<[string, string]> = chunks.filter((_, i) => !drop.includes(i));
        // A chunk sent twice, with its own value or another (a lost one replaced is another matter: the seal or signature refuses it).
        const duplicate = doubling.filter(([i]) => !drop.includes(i));
        for (const [i, same] of duplicate) if (i < count) sent.push([`c.${i}`, same ? chunks[i]![1] : `${chunks[i]![1]}x`]);
        if (whole) sent.push(["c", v]);
        for (const i of stale) if (i >= count) sent.push([`c.${i}`, "left-over"]);
        const header = [...sent, ...rest].map(([n, val]) => `${n}=${val}`).join("; ");
        const read = readChunked(parseCookieHeader(header), "c");

        const lost = drop.some((i) => i < count);
        const doubled = duplicate.some(([i]) => i < count);
        const allLost = drop.filter((i) => i < count).length === count;
        // The whole cookie is read as it is, unless a first chunk says the value is also chunked.
        if (whole) expect(read).toBe(drop.includes(0) ? v : MALFORMED);
        else if (allLost) expect(read).toBe(stale.some((i) => i >= count) ? MALFORMED : undefined);
        else if (lost || doubled) expect(read).toBe(MALFORMED);
        else expect(read).toBe(v);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws reading any jar, and answers a list of parts, undefined or MALFORMED", () => {
    const names = chunkNames("c");
    const name = fc.constantFrom(...names, "c.5", "c.6", "c.00", "c.x", "c.", "c.-1");
    const value = fc.oneof(cookieValue, fc.constantFrom("1~", "9~", "0~", "~", "", "5~x", "2~", "1~a", `${MAX_CHUNKS + 1}~x`, "\u0141~x"));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 8 }), (pairs) => {
        const jar: CookieJar = new Map();
        for (const [n, v] of pairs) jar.set(n, [...(jar.get(n) ?? []), v]);
        const read = readChunks(jar, names);
        expect(read === undefined || read === MALFORMED || (Array.isArray(read) && read.every((p) => typeof p === "string"))).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe("reading a session from any Cookie header", () => {
  const fake = useFakeCognito();

  /** Headers made of the session's own cookie names, with values real, cut, joined, doubled, or hostile. */
  async function hostileHeaders(mode: "cookie" | "server") {
    const app = fake.app({ sessions: mode, protect: { "/dashboard/:path*": {} } });
    const { storage: cookies, cookieNames } = coreOf(app);
    const tokens = await fake.tokenSet({ idClaims: { "custom:bio": "x".repeat(5_000) } });
    const written = await cookies.write(new Map(), {
      accessToken: tokens.access_token,
      idToken: tokens.id_token,
      refreshToken: tokens.refresh_token,
      endsAt: Math.floor(Date.now() / 1000) + 3_600,
    });
    const real = written.set.map(({ name, value }): [string, string] => [name, value]);
    const names = [
      ...new Set([
        ...real.map(([n]) => n),
        cookieNames.access,
        cookieNames.sealed,
        cookieNames.id,
        ...chunkNames(cookieNames.access),
        ...chunkNames(cookieNames.sealed),
        `${cookieNames.sealed}.7`,
      ]),
    ];
    const realValue = fc.constantFrom(...real.map(([, v]) => v));
    const value = fc.oneof(
      realValue,
      realValue.chain((v) => fc.nat({ max: v.length }).map((at) => v.slice(0, at))),
      realValue.chain((v) => fc.nat({ max: v.length }).map((at) => v.slice(at))),
      fc.constantFrom("a", "AAAAA", "A".repeat(4_097), "1~", "9~x", "2~a.b.c", "a.b.c", "Fe26.2**", "%%%%", "="),
      headerText(60),
    );
    const header = fc
      .oneof(
        // The real cookies, some of them altered.
        fc.tuple(fc.shuffledSubarray(real), fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 3 })).map(([kept, added]) => [...kept, ...added]),
        fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 6 }),
      )
      .map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join("; "));
    // `.7` is never written, so it is not ours to clear: it only rides along.
    return { app, header, sessionNames: names.filter((n) => n !== `${cookieNames.sealed}.7`) };
  }

  it.each(["cookie", "server"] as const)(
    "never throws (%s sessions): the middleware, resolveSession and withAuth answer, and what is not a session is cleared",
    async (mode) => {
      const { app, header, sessionNames } = await hostileHeaders(mode);
      const handler = app.withAuth({}, () => Response.json({ ok: true }));
      await fc.assert(
        fc.asyncProperty(header, async (cookie) => {
          const jar = parseCookieHeader(cookie);
          const sent = [...jar.keys()].filter((n) => sessionNames.includes(n));
          const { session, changes } = await resolveSession(coreOf(app), jar, { refresh: false });
          if (session === null && sent.length > 0) expect(changes.remove.map((c) => c.name)).toEqual(expect.arrayContaining(sent));
          const page = await app.middleware(new NextRequest(`${APP_URL}/dashboard`, { headers: { cookie, accept: "text/html" } }));
          expect([200, 307]).toContain(page.status);
          const api = await handler(new Request(`${APP_URL}/api/me`, { headers: { cookie } }), {});
          expect([200, 401]).toContain(api.status);
          expect(api.status === 200).toBe(session !== null);
        }),
        { numRuns: 120 },
      );
    },
  );

  it("keeps the session's cookies within MAX_SESSION_COOKIE_BYTES for any ID token size", async () => {
    const { storage: cookies } = coreOf(fake.app());
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: 800, max: 3_000 }), async (idLength, accessLength) => {
        const changes = await cookies.write(new Map(), {
          accessToken: "a".repeat(accessLength),
          idToken: idLength === 0 ? undefined : "i".repeat(idLength),
          refreshToken: "r".repeat(1_800),
          endsAt: Math.floor(Date.now() / 1000) + 3_600,
        });
        expect(cookieHeaderBytes(changes.set.map(({ name, value }) => [name, value]))).toBeLessThanOrEqual(MAX_SESSION_COOKIE_BYTES);
        for (const { name, value, attributes: a } of changes.set) expect(setCookie(name, value, a).length).toBeLessThanOrEqual(MAX_SET_COOKIE);
      }),
      { numRuns: 60 },
    );
  });
});
