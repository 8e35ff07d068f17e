// Cookie bytes for the same tokens: what each library's Set-Cookie headers weigh when a
// session is stored, and what the browser then sends back in `Cookie` on every request.
// A standard Cognito token set, and one whose ID token carries 6 KB of custom attributes.
// Each library's cookies are made by its own code; nothing here is timed.
import { toSetCookieHeaders } from "../src/persistence/changes.ts";
import { APP_URL, amplifyInternals, auth0, authjs, ironSession, ourApp, requestWith, sessionCookies } from "./support/contenders.ts";
import { fmt, fmtRatio, writeResult } from "./support/stats.ts";
import { CLIENT_ID, createTestPool, type TokenSet } from "./support/tokens.ts";

/** Browsers keep a cookie only while its name and value together fit in 4096 bytes. */
const COOKIE_LIMIT = 4096;

interface Stored {
  library: string;
  /** Set-Cookie header values, or why none could be made. */
  setCookies: string[] | { refused: string };
}

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const pairOf = (setCookie: string) => setCookie.slice(0, setCookie.indexOf(";") === -1 ? undefined : setCookie.indexOf(";"));

const pool = await createTestPool();
const sets: Array<[string, TokenSet]> = [
  ["standard", pool.mint()],
  ["6 KB ID token", pool.mint({ idTokenBytes: 6 * 1024 })],
];

const ours = ourApp(pool);
const amplify = await amplifyInternals();
const authJs = await authjs();
const auth0Client = await auth0();
const iron = await ironSession();

/** The session cookies a library's middleware re-set while reading `cookie`, by name prefix. */
async function reSet(contender: typeof authJs, tokens: TokenSet, prefix: string): Promise<string[]> {
  const warn = console.warn;
  console.warn = () => {};
  try {
    const response = await contender.middleware(requestWith(await contender.cookie(tokens)));
    return response.headers.getSetCookie().filter((c) => c.startsWith(prefix));
  } finally {
    console.warn = warn;
  }
}

async function store(tokens: TokenSet): Promise<Stored[]> {
  const { getIronSession } = await import("iron-session");
  const { NextResponse } = await import("next/server");
  let ironCookies: Stored["setCookies"];
  try {
    const response = NextResponse.next();
    const session = await getIronSession<Record<string, string>>(requestWith(""), response, {
      password: "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
      cookieName: "session",
    });
    Object.assign(session, { accessToken: tokens.accessToken, idToken: tokens.idToken, refreshToken: tokens.refreshToken });
    await session.save();
    ironCookies = response.headers.getSetCookie();
  } catch (error) {
    ironCookies = { refused: (error as Error).message.split("\n")[0]!.slice(0, 80) };
  }
  const amplifyOptions = amplify.createTokenCookiesSetOptions({}, APP_URL.replace("http:", "https:"));
  return [
    { library: "next-cognito-session", setCookies: toSetCookieHeaders(await sessionCookies(ours, tokens)) },
    {
      library: "@aws-amplify/adapter-nextjs (server-side auth)",
      setCookies: amplify
        .createTokenCookies({
          tokensPayload: { access_token: tokens.accessToken, id_token: tokens.idToken, refresh_token: tokens.refreshToken },
          userPoolClientId: CLIENT_ID,
        })
        .map(({ name, value }) => amplify.serializeCookie(name, value, amplifyOptions)),
    },
    { library: authJs.name, setCookies: await reSet(authJs, tokens, "authjs.session-token") },
    { library: auth0Client.name, setCookies: await reSet(auth0Client, tokens, "__session") },
    { library: iron.name, setCookies: ironCookies },
  ];
}

interface Row {
  tokens: string;
  library: string;
  cookies: number;
  largest: number;
  setCookieBytes: number;
  cookieHeaderBytes: number;
  fits: boolean;
  refused?: string;
}

const rows: Row[] = [];
for (const [label, tokens] of sets) {
  for (const stored of await store(tokens)) {
    if (!Array.isArray(stored.setCookies)) {
      rows.push({
        tokens: label,
        library: stored.library,
        cookies: 0,
        largest: 0,
        setCookieBytes: 0,
        cookieHeaderBytes: 0,
        fits: false,
        refused: stored.setCookies.refused,
      });
      continue;
    }
    const pairs = stored.setCookies.map(pairOf);
    const largest = Math.max(...pairs.map(bytes));
    rows.push({
      tokens: label,
      library: stored.library,
      cookies: pairs.length,
      largest,
      setCookieBytes: stored.setCookies.reduce((n, c) => n + bytes(c), 0),
      cookieHeaderBytes: bytes(pairs.join("; ")),
      fits: largest <= COOKIE_LIMIT,
    });
  }
}

const oursRow = (tokens: string) => rows.find((r) => r.tokens === tokens && r.library === "next-cognito-session")!;
const amplifyRow = (tokens: string) => rows.find((r) => r.tokens === tokens && r.library.startsWith("@aws-amplify"))!;
const sizes = sets.map(([label, t]) => `${label}: access ${t.accessToken.length} B, ID ${t.idToken.length} B, refresh ${t.refreshToken.length} B`);

const standard = oursRow(sets[0]![0]);
const large = oursRow(sets[sets.length - 1]![0]);
const goals = [
  {
    goal: "Cookie header bytes for a standard token set ≤ the Amplify adapter's",
    figure: `${fmt(standard.cookieHeaderBytes)} B against ${fmt(amplifyRow(sets[0]![0]).cookieHeaderBytes)} B`,
    met: standard.cookieHeaderBytes <= amplifyRow(sets[0]![0]).cookieHeaderBytes,
  },
  {
    goal: "every Set-Cookie ≤ 4096 B, a 6 KB ID token included",
    figure: `largest cookie ${fmt(Math.max(...rows.filter((r) => r.library === "next-cognito-session").map((r) => r.largest)))} B`,
    met: rows.filter((r) => r.library === "next-cognito-session").every((r) => r.fits),
  },
  {
    goal: "a 6 KB ID token still makes a session, the ID token kept",
    figure: `${fmt(large.cookieHeaderBytes)} B in ${large.cookies} cookies`,
    met: large.fits && large.cookieHeaderBytes > sets[sets.length - 1]![1].idToken.length,
  },
];

writeResult({
  goals,
  bench: "cookie-bytes",
  title: "Cookie bytes for the same tokens",
  tables: [
    {
      title: "Set-Cookie written to store a session, and the Cookie header sent back on every request (bytes)",
      columns: ["tokens", "library", "cookies", "largest cookie", "Set-Cookie bytes", "Cookie header bytes", "kept by browsers (every cookie ≤ 4096 B)"],
      rows: rows.map((r) => [
        r.tokens,
        r.library,
        r.refused ? "—" : String(r.cookies),
        r.refused ? "—" : String(r.largest),
        r.refused ? "—" : String(r.setCookieBytes),
        r.refused ? "—" : String(r.cookieHeaderBytes),
        r.refused ? `no: refuses to save (${r.refused})` : r.fits ? "yes" : `no: a ${r.largest}-byte cookie is dropped, the session is lost`,
      ]),
    },
  ],
  headline: sets.map(([label]) => ({
    measure: `Cookie header bytes per request, tokens: ${label}`,
    ours: `${fmt(oursRow(label).cookieHeaderBytes)} B`,
    against: `Amplify adapter: ${fmt(amplifyRow(label).cookieHeaderBytes)} B${amplifyRow(label).fits ? "" : " (a cookie over 4096 B: dropped by browsers)"}`,
    ratio: fmtRatio(amplifyRow(label).cookieHeaderBytes / oursRow(label).cookieHeaderBytes),
  })),
  charts: sets.map(([label]) => ({
    title: `Cookie header sent on every request, tokens: ${label} (bytes)`,
    unit: "B",
    bars: rows
      .filter((r) => r.tokens === label && !r.refused)
      .map((r) => ({ label: `${r.library}${r.fits ? "" : " (over limit)"}`, value: r.cookieHeaderBytes, ours: r.library === "next-cognito-session" })),
  })),
  notes: [
    `Token sizes: ${sizes.join("; ")}.`,
    "Ours: the access token as issued plus one sealed cookie holding the refresh and ID tokens (a JWE, dir + A256GCM, the tokens' base64url parts sealed as bytes), each chunked at 3800 B; all HttpOnly, Secure, SameSite=Lax, __Host- prefixed.",
    "Amplify: the adapter's own server-side-auth cookie set (access, ID, refresh, LastAuthUser), raw tokens, no chunking; its client-side mode writes the same tokens plus more, readable by JavaScript.",
    "Auth.js and Auth0: the session cookies their middleware set while reading a session holding these tokens (one JWE, chunked); iron-session: one sealed cookie, which it refuses to save over 4096 B.",
    `Ratio = Amplify's Cookie header bytes over ours (below 1: ours is larger). Standard set: ours ${fmt(oursRow("standard").cookieHeaderBytes)} B vs ${fmt(amplifyRow("standard").cookieHeaderBytes)} B.`,
  ],
  figures: { rows, tokenSizes: sizes },
});
await pool.close();
