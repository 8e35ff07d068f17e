// No input makes a 500. The example, built for production, is sent hostile input on its pages,
// API routes and auth routes: encoded path tricks, junk and truncated cookies, forged Bearer
// tokens and transaction cookies, hostile `returnTo` values, callback parameters, sign-outs
// from other origins, framework headers and odd methods. Listed cases sit next to cases
// generated with fast-check (seeded: HOSTILE_SEED reproduces a run). Every answer is held to
// the same invariants, each reported with every request that breaks it (method, target,
// family; never a cookie or token value):
//   - never a 5xx, never silence;
//   - protected content (pages and API data) only for requests carrying a session;
//   - every response that sets or clears a session cookie carries `private, no-store`;
//   - redirects stay on the app's origin (or go to the pool's hosted UI), and a sign-in
//     redirect's `returnTo` is a path on it;
//   - only the library's own cookies are set, each `HttpOnly; Secure; SameSite=Lax; Path=/`;
//   - no internal header (`x-middleware-*`, `x-ncs-*`) and no injected header reaches the client;
//   - no secret, token or cookie value in any response body or in the app's own log.
// Requests go out over a raw socket (support/raw-http.ts): Playwright's request context and
// fetch normalize paths (`/./`, `%2e`, `\`), refuse some header bytes and keep a cookie jar,
// any of which would send something other than what a case names.
import { createHmac, randomBytes } from "node:crypto";
import { expect, test as base } from "@playwright/test";
import fc from "fast-check";
import { HOSTILE_RETURN_TO } from "../test/helpers/hostile-return-to.ts";
import { RedisServer } from "../test/helpers/redis.ts";
import { type RunningExample, startExample, type Variant } from "./support/example-app.ts";
import { headerOf, headersOf, type RawRequest, type RawResponse, rawRequest } from "./support/raw-http.ts";

/** fast-check's seed for every generated family; printed with every failure. */
const SEED = Number(process.env.HOSTILE_SEED ?? 20_612);
/** Requests in flight at once: enough to keep the server busy, few enough for two shared cores. */
const CONCURRENCY = 4;
/** In every junk value, so the log check can tell whether one was ever printed. */
const CANARY = `cnry${randomBytes(6).toString("hex")}`;

type Family =
  | "warm-up"
  | "paths"
  | "cookies"
  | "session"
  | "bearer"
  | "transactions"
  | "callback"
  | "returnTo"
  | "sign-out"
  | "headers"
  | "methods"
  | "server-actions";

interface Case extends RawRequest {
  family: Family;
  /** What the case is, for the report. Never a cookie or token value. */
  label: string;
  /** Carries a session that stands: protected content is expected, not a leak. */
  signedIn?: boolean;
  /** A server action's answer: Next, not the library, writes its Cache-Control. */
  serverAction?: boolean;
  /**
   * Why Next itself answers this with a 5xx before any code of the library or the app runs.
   * Such answers are listed as annotations, not counted: no change here can remove them.
   */
  upstream?: string;
}

interface Outcome {
  app: string;
  case: Case;
  response: RawResponse;
}

/** One app under test: an instance of the example, and a session signed in on it. */
interface AppUnderTest {
  name: string;
  example: RunningExample;
  /** Configured without COGNITO_DOMAIN: password sign-in only, as the README allows. */
  passwordOnly?: boolean;
  /** Alice's session as a Cookie header (signed in over HTTP through the hosted UI). */
  alice: string;
  /** Sessions live in Redis and the browser holds only a sealed id (`__Host-ncs.id`). */
  serverSessions: boolean;
}

/** What each protected page or route shows only to a session: HTML attribute or RSC payload form. */
const PROTECTED: Array<[string, RegExp]> = [
  ["/dashboard/[id]", /data-testid"?[=:]"dashboard-item"/],
  ["/dashboard", /data-testid"?[=:]"(email|sub|groups)"/],
  ["/admin", /data-testid"?[=:]"admin-content"/],
  ["/account", /data-testid"?[=:]"(account-email|username|tenant|scopes)"/],
  ["/api/me", /"clientId":/],
  ["/api/orders", /"o-1001"/],
  ["/api/admin/stats", /"activeSessions"/],
];

const SESSION_COOKIE = /^__Host-ncs\.(at|s|id|tx)(\.[\w-]+)?$/;

// ---------------------------------------------------------------- sending

/** Send `cases` at most CONCURRENCY at a time; outcomes in the order of `cases`. */
async function send(app: AppUnderTest, cases: Case[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const c = cases[index]!;
      outcomes[index] = { app: app.name, case: c, response: await rawRequest(app.example.baseURL, c) };
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

const cookieOf = (response: RawResponse) =>
  headersOf(response, "set-cookie")
    .map((c) => c.split(";")[0]!)
    .filter((pair) => !pair.endsWith("="))
    .join("; ");

/**
 * Alice's session on `example`. A fresh instance on Redis connects to the store on first use,
 * and under load that first use can outlast the store's time budget (503): sign in again until
 * a session cookie comes back, so the hostile families start against a connected store.
 */
async function signInAlice(name: string, example: RunningExample): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { cookie } = await signInOverHttp({ name, example }, "alice@example.com", "/dashboard", "alice");
    if (/__Host-ncs\.(at|id)=/.test(cookie)) return cookie;
  }
  return "";
}

/** A sign-in through the hosted UI over plain HTTP, with every app answer kept for the checks. */
async function signInOverHttp(
  app: Pick<AppUnderTest, "name" | "example">,
  email: string,
  returnTo: string,
  label: string,
): Promise<{ cookie: string; outcomes: Outcome[] }> {
  const start: Case = { family: "returnTo", label: `${label} (start)`, target: `/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}` };
  const [started] = await send({ ...app, alice: "", serverSessions: false }, [start]);
  const location = headerOf(started!.response, "location");
  if (!location?.startsWith(app.example.cognito.domain)) return { cookie: "", outcomes: [started!] };
  const authorize = new URL(location);
  const form = new URLSearchParams(authorize.searchParams);
  form.set("username", email);
  form.set("password", app.example.cognito.password);
  const login = await fetch(new URL("/oauth2/authorize", authorize), { method: "POST", body: form, redirect: "manual" });
  const back = new URL(login.headers.get("location") ?? "/", app.example.baseURL);
  const finish: Case = {
    family: "returnTo",
    label: `${label} (callback)`,
    target: `${back.pathname}${back.search}`,
    headers: [["cookie", cookieOf(started!.response)]],
  };
  const [finished] = await send({ ...app, alice: "", serverSessions: false }, [finish]);
  return { cookie: cookieOf(finished!.response), outcomes: [started!, finished!] };
}

// ---------------------------------------------------------------- values

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const jws = (header: unknown, payload: unknown, signature: string) => `${b64(header)}.${b64(payload)}.${signature}`;
/** A base64url string of exactly `length` characters, starting with the canary. */
const junk = (length: number) => (CANARY + "A".repeat(Math.max(0, length))).slice(0, length).replace(/[^\w-]/g, "A");

/** Cookie values for a report: the name, and the value's length only. */
function describeCookies(header: string): string {
  return header
    .split(";")
    .filter((p) => p.trim())
    .slice(0, 6)
    .map((pair) => {
      const eq = pair.indexOf("=");
      return eq === -1 ? pair.trim().slice(0, 40) : `${pair.slice(0, eq).trim().slice(0, 40)}=(${pair.length - eq - 1})`;
    })
    .join("; ")
    .concat(header.split(";").length > 6 ? `; …${header.split(";").length} cookies` : "");
}

// ---------------------------------------------------------------- families

const PAGE_TARGETS = ["/", "/dashboard", "/dashboard/x", "/admin", "/account", "/sign-in", "/sign-up", "/forgot-password", "/files", "/legacy"];
const API_TARGETS = ["/api/me", "/api/orders", "/api/admin/stats", "/api/legacy-me", "/auth/session"];

function warmUp(): Case[] {
  // Every route once, so every module copy Next made (Edge, SSR, route handlers) has loaded and
  // shared what it shares before hostile input arrives: some failures appear only then.
  return [...PAGE_TARGETS, ...API_TARGETS, "/auth/sign-in"].map((target) => ({ family: "warm-up", label: "plain", target }));
}

const LISTED_PATHS = [
  "/dashboard/..%2F..%2Fpublic",
  "/dashboard/..%5C..%5Cpublic",
  "/dashboard/x%2F..%2F..",
  "/dashboard/%2e%2e%2f%2e%2e%2fx",
  "/dashboard/%2E%2E%2F%2E%2E%2Fx",
  "/dashboard/..%252F..%252Fpublic",
  "/dashboard/%252e%252e%252f",
  "/dashboard/x%2F",
  "/dashboard/%2F",
  "/dashboard/%5C",
  "/dashboard/x%5C..%5C",
  "/dashboard/.%2e/x",
  "/dashboard/%2e%2e",
  "/dashboard//x",
  "//dashboard/x",
  "/dashboard/./x",
  "/./dashboard/x",
  "/dashboard/x/.",
  "/dashboard/x/..",
  "/dashboard/x/",
  "/dashboard/x.",
  "/dashboard/x..",
  "/dashboard./x",
  "/Dashboard/x",
  "/DASHBOARD/X",
  "/dashboard/X",
  "/%64ashboard/x",
  "/dashboard%2Fx",
  "/dashboard%2fx",
  "/dashboard/x;jsessionid=1",
  "/dashboard/x%00",
  "/dashboard/%ff",
  "/dashboard/%",
  "/dashboard/%E0%A4%A",
  "/dashboard/%C0%AE%C0%AE%2F",
  "/dashboard/x%23y",
  "/dashboard/x?returnTo=..%2F..%2F",
  "/dashboard/x.rsc",
  "/dashboard.rsc",
  "/dashboard/x.prefetch.rsc",
  "/dashboard/x.segments/_tree.segment.rsc",
  "/dashboard/index",
  "/dashboard\\x",
  "/dashboard/x\\..\\..\\admin",
  "/admin/..%2F..%2Fpublic",
  "/admin%2F",
  "/admin/.",
  "/admin.rsc",
  "/ADMIN",
  "/admin/x",
  "/account/..%2F",
  "/api/me/",
  "/api//me",
  "/api/me%2F",
  "/api/%2e%2e/api/me",
  "/api/admin/stats%2F..",
  "/api/admin/..%2Fstats",
  "/api/admin%2Fstats",
  "/API/me",
  "/auth/sign-in/",
  "/auth//sign-in",
  "/auth/sign-in%2F",
  "/auth/%73ign-in",
  "/auth/sign-out/",
  "/auth/callback/",
  "/_next/../dashboard/x",
  "/_next/static/..%2F..%2Fdashboard%2Fx",
  "/favicon.ico/..%2Fdashboard%2Fx",
  "/_next/data/x/dashboard.json",
  `/${"a/".repeat(2000)}`,
  `/dashboard/${"%2e%2e%2f".repeat(1000)}`,
];

/**
 * Invariant: whatever a path looks like (encoded separators, dot segments, case, repeated
 * slashes, double encoding), it is answered without a 5xx, and a path Next routes to a
 * protected page shows it only to a session.
 */
function generatedPaths(): string[] {
  const segment = fc.constantFrom(
    "x",
    "X",
    "..",
    ".",
    "%2e",
    "%2E",
    "%2e%2e",
    ".%2e",
    "%2e.",
    "%252e%252e",
    "",
    "public",
    "admin",
    "dashboard",
    "x.",
    "x..",
    "%00",
    "%ff",
    "%",
    "%C0%AE",
    "%C3%A9",
    ";",
    "x;y",
    "a%20b",
    "~",
    "%7e",
    "index",
    "x.rsc",
  );
  const separator = fc.constantFrom("/", "//", "%2F", "%2f", "%5C", "%5c", "\\", "%252F", "/./", "/%2e/", "/../");
  const prefix = fc.constantFrom("/dashboard", "/dashboard/", "/admin", "/admin/", "/api/me", "/api/admin/stats", "/account", "/auth/sign-in", "");
  const query = fc.constantFrom("", "?x=1", "?returnTo=%2F%2Fevil.example", "?_rsc=1");
  const path = fc
    .tuple(prefix, fc.array(fc.tuple(separator, segment), { maxLength: 6 }), query)
    .map(([p, parts, q]) => `${p}${parts.map(([s, g]) => s + g).join("")}${q}`)
    .map((p) => (p.startsWith("/") ? p : `/${p}`));
  return fc.sample(path, { seed: SEED, numRuns: 120 });
}

function paths(app: AppUnderTest): Case[] {
  const listed: Case[] = LISTED_PATHS.map((target) => ({ family: "paths" as const, label: "listed", target }));
  listed.push(
    { family: "paths", label: "Next's error page", target: "/_global-error", upstream: "Next serves its prerendered /_global-error with status 500" },
    {
      family: "paths",
      label: "image optimizer on a protected page",
      target: "/_next/image?url=%2Fdashboard%2Fx&w=64&q=75",
      upstream: "Next's image optimizer answers a redirect from its internal fetch with 500",
    },
    {
      family: "paths",
      label: "image optimizer on an encoded path",
      target: "/_next/image?url=%2Fdashboard%2F..%252F..%252Fpublic&w=64&q=75",
      // The path is protected like /dashboard/x, so the optimizer's internal fetch meets the same redirect.
      upstream: "Next's image optimizer answers a redirect from its internal fetch with 500",
    },
    { family: "paths", label: "raw UTF-8 in the path", target: "/dashboard/é/..%2F" },
  );
  const absolute = { family: "paths" as const, label: "absolute-form target", target: `${app.example.baseURL}/dashboard/x` };
  const generated = generatedPaths().map((target, i) => ({ family: "paths" as const, label: `generated #${i}`, target }));
  const head = ["/dashboard/..%2F..%2Fpublic", "/admin", "/api/me"].map((target) => ({ family: "paths" as const, label: "HEAD", method: "HEAD", target }));
  return [...listed, absolute, ...generated, ...head];
}

/** Cookie headers that are not a session. Values carry the canary; labels say what they are. */
function listedCookies(app: AppUnderTest): Array<[string, string | Buffer]> {
  const { issuer, clientId } = app.example.cognito;
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, sub: CANARY, token_use: "access", client_id: clientId, exp: now + 600, iat: now };
  const chunks = (name: string, parts: Array<[number, string]>) => parts.map(([i, v]) => `__Host-ncs.${name}.${i}=${v}`).join("; ");
  return [
    ["id: 1 character (4k+1)", "__Host-ncs.id=a"],
    ["id: 61 characters (4k+1)", `__Host-ncs.id=${junk(61)}`],
    ["id: not base64url", `__Host-ncs.id=${CANARY}!!!`],
    ["id: empty", "__Host-ncs.id="],
    ["id: twice", `__Host-ncs.id=${junk(60)}; __Host-ncs.id=${junk(60)}`],
    ["id: 8 KB", `__Host-ncs.id=${junk(8000)}`],
    ["at: junk", `__Host-ncs.at=${CANARY}`],
    ["at: a.b.c", "__Host-ncs.at=a.b.c"],
    ["at: pool's iss, known kid, signature of 341 characters (4k+1)", `__Host-ncs.at=${jws({ alg: "RS256", kid: "CognitoLocal" }, claims, junk(341))}`],
    ["at: pool's iss, known kid, signature of 1 character", `__Host-ncs.at=${jws({ alg: "RS256", kid: "CognitoLocal" }, claims, "a")}`],
    ["at: pool's iss, unknown kid", `__Host-ncs.at=${jws({ alg: "RS256", kid: CANARY }, claims, junk(342))}`],
    ["at: header of 4k+1 characters", `__Host-ncs.at=${junk(41)}.${b64(claims)}.${junk(342)}`],
    ["at: payload of 4k+1 characters", `__Host-ncs.at=${b64({ alg: "RS256", kid: "CognitoLocal" })}.${junk(41)}.${junk(342)}`],
    ["s: junk", `__Host-ncs.s=Fe26.2**${CANARY}`],
    ["s: 1 character", "__Host-ncs.s=a"],
    ["at and s: junk", `__Host-ncs.at=${junk(40)}.${junk(40)}.${junk(40)}; __Host-ncs.s=Fe26.2*1*${CANARY}*x*y*z*w*v~2`],
    ["at.0 only, count 2", "__Host-ncs.at.0=2~abc"],
    [
      "at.0 count 9 (over the limit)",
      chunks("at", [
        [0, "9~a"],
        [1, "b"],
        [2, "c"],
        [3, "d"],
        [4, "e"],
        [5, "f"],
        [6, "g"],
        [7, "h"],
        [8, "i"],
      ]),
    ],
    ["at.0 count 0", "__Host-ncs.at.0=0~abc"],
    ["at.0 without count", `__Host-ncs.at.0=${CANARY}`],
    ["at.0 just ~", "__Host-ncs.at.0=~"],
    ["at.1 without at.0", "__Host-ncs.at.1=abc"],
    ["at.0 twice", "__Host-ncs.at.0=2~a; __Host-ncs.at.0=2~b; __Host-ncs.at.1=c"],
    [
      "at.5 to at.9 present",
      chunks("at", [
        [0, "5~a"],
        [1, "b"],
        [2, "c"],
        [3, "d"],
        [4, "e"],
        [5, "f"],
        [9, "g"],
      ]),
    ],
    ["at whole and at.0", "__Host-ncs.at=a.b.c; __Host-ncs.at.0=1~a.b.c"],
    ["at.99999999999999999999", "__Host-ncs.at.99999999999999999999=x; __Host-ncs.at=a.b.c"],
    ["at.-1", "__Host-ncs.at.-1=x; __Host-ncs.at=a.b.c"],
    [
      "s.0 to s.4 junk",
      chunks("s", [
        [0, "5~Fe26.2*1"],
        [1, "*b"],
        [2, "*c"],
        [3, "*d"],
        [4, "*e"],
      ]),
    ],
    [
      "s.0 count 6",
      chunks("s", [
        [0, "6~a"],
        [1, "b"],
        [2, "c"],
        [3, "d"],
        [4, "e"],
        [5, "f"],
      ]),
    ],
    ["at 12 KB", `__Host-ncs.at=${junk(12_000)}`],
    ["at 40 KB (over the header limit)", `__Host-ncs.at=${junk(40_000)}`],
    ["non-ASCII as UTF-8", `__Host-ncs.at=é😀${CANARY}; __Host-ncs.s=ü; __Host-ncs.id=日本`],
    ["byte 0xff", Buffer.concat([Buffer.from("__Host-ncs.at="), Buffer.from([0xff, 0xfe]), Buffer.from(`; __Host-ncs.s=${CANARY}`)])],
    ["300 cookies", Array.from({ length: 300 }, (_, i) => `c${i}=v${i}`).join("; ")],
    ["200 chunk names", Array.from({ length: 200 }, (_, i) => `__Host-ncs.at.${i}=x`).join("; ")],
    ["quoted", '__Host-ncs.at="a.b.c"; __Host-ncs.s="Fe26.2"'],
    ["bad percent-encoding beside junk", "other=%E0%A4%A; __Host-ncs.at=a.b.c"],
    ["name without value", "__Host-ncs.at; __Host-ncs.s"],
    ["empty name", "=x; __Host-ncs.at=a"],
    ["only separators", ";;; ;"],
    ["challenge cookie junk", `__Host-ncs.tx.pw=Fe26.2**${CANARY}`],
    ["names without __Host-", "ncs.at=a.b.c; ncs.s=x"],
    ["lower-case prefix", "__host-ncs.at=a.b.c"],
  ];
}

/**
 * Invariant: a Cookie header that holds no session is no session: never a 5xx, no protected
 * content, and what the library clears it clears with `private, no-store`.
 */
function generatedCookies(): string[] {
  const base64ish = fc.oneof(
    fc.constantFrom(1, 2, 3, 4, 5, 41, 61, 341, 342, 1001, 3800).map((n) => junk(n)),
    fc.string({ unit: fc.constantFrom("A", "-", "_", ".", "~", "*", "=", "+", "/", "%"), maxLength: 60 }),
    fc.constantFrom("Fe26.2**", "Fe26.2*1*a*b*c*d*e*f~2", "eyJ.eyJ.", "1~", "5~", "0~", ""),
  );
  const name = fc.constantFrom("at", "s", "id", "tx.aaaaaaaaaaaaaaaa", "tx.pw");
  const index = fc.constantFrom("", ".0", ".1", ".2", ".4", ".5", ".9", ".00", ".10");
  const pair = fc.tuple(name, index, base64ish).map(([n, i, v]) => `__Host-ncs.${n}${i}=${v}`);
  const header = fc.array(pair, { minLength: 1, maxLength: 8 }).map((pairs) => pairs.join("; "));
  return fc.sample(header, { seed: SEED + 1, numRuns: 70 });
}

function cookieCases(app: AppUnderTest): Case[] {
  // A page read, the middleware's rule, a Node and an Edge route handler, and the auth routes.
  const all: Array<Pick<Case, "method" | "target" | "headers">> = [
    { target: "/" },
    { target: "/dashboard/x" },
    { target: "/api/me" },
    { target: "/api/admin/stats" },
    { target: "/auth/sign-in" },
    // The client session route, a Pages Router page and a pages/api handler read the same cookies.
    { target: "/auth/session" },
    { target: "/legacy" },
    { target: "/api/legacy-me" },
    { method: "POST", target: "/auth/sign-out", headers: [["origin", new URL(app.example.baseURL).origin]] },
  ];
  // With server-side sessions only the id cookie is read: fewer targets tell as much.
  const targets = app.serverSessions ? all.filter((t) => t.target !== "/auth/sign-in" && t.target !== "/api/admin/stats") : all;
  const cases: Case[] = [];
  for (const [label, cookie] of listedCookies(app)) {
    for (const t of targets) cases.push({ family: "cookies", label, ...t, headers: [...(t.headers ?? []), ["cookie", cookie]] });
  }
  // A prerendered page, which Next would answer with a year of shared caching: only the
  // library's Cache-Control keeps the cookie it clears there out of shared caches.
  for (const target of ["/_not-found", "/_global-error"]) {
    const upstream = target === "/_global-error" ? { upstream: "Next serves its prerendered /_global-error with status 500" } : {};
    cases.push({ family: "cookies", label: "junk access token on a prerendered page", target, headers: [["cookie", "__Host-ncs.at=a.b.c"]], ...upstream });
  }
  generatedCookies()
    .slice(0, app.serverSessions ? 30 : undefined)
    .forEach((cookie, i) => {
      const t = targets[i % targets.length]!;
      cases.push({ family: "cookies", label: `generated #${i}: ${describeCookies(cookie)}`, ...t, headers: [...(t.headers ?? []), ["cookie", cookie]] });
    });
  return cases;
}

/** Alice's own session, altered. Each is no session unless marked as still standing. */
async function sessionCases(app: AppUnderTest): Promise<Case[]> {
  const get = (name: string) => new RegExp(`(?:^|; )${name.replace(/\./g, "\\.")}=([^;]*)`).exec(app.alice)?.[1];
  const variants: Array<[string, string, boolean]> = [["as issued", app.alice, true]];
  if (app.serverSessions) {
    const id = get("__Host-ncs.id") ?? "";
    variants.push(
      ["id: last character dropped", `__Host-ncs.id=${id.slice(0, -1)}`, false],
      ["id: one character more", `__Host-ncs.id=${id}A`, false],
      ["id: sent twice", `__Host-ncs.id=${id}; __Host-ncs.id=${id}`, false],
      ["id: and junk at/s", `__Host-ncs.id=${id}; __Host-ncs.at=a.b.c; __Host-ncs.s=x`, true],
    );
  } else {
    const at = get("__Host-ncs.at") ?? "";
    const sealed = get("__Host-ncs.s") ?? "";
    const { transaction } = await transactionCookie(app);
    variants.push(
      ["at: last character dropped", `__Host-ncs.at=${at.slice(0, -1)}; __Host-ncs.s=${sealed}`, false],
      ["at: one character more", `__Host-ncs.at=${at}A; __Host-ncs.s=${sealed}`, false],
      ["at: sent twice", `__Host-ncs.at=${at}; __Host-ncs.at=${at}; __Host-ncs.s=${sealed}`, false],
      ["at and s swapped", `__Host-ncs.at=${sealed}; __Host-ncs.s=${at}`, false],
      ["s: trailing data after the version", `__Host-ncs.at=${at}; __Host-ncs.s=${sealed}~${CANARY}`, false],
      ["s: a transaction's seal in its place", `__Host-ncs.at=${at}; __Host-ncs.s=${transaction}`, false],
      ["s: sent twice", `__Host-ncs.at=${at}; __Host-ncs.s=${sealed}; __Host-ncs.s=${sealed}`, false],
      ["s and s.0 both", `__Host-ncs.at=${at}; __Host-ncs.s=${sealed}; __Host-ncs.s.0=1~${sealed}`, false],
      ["s as a stray chunk s.1", `__Host-ncs.at=${at}; __Host-ncs.s.1=${sealed}`, false],
      ["s chunked in two", `__Host-ncs.at=${at}; __Host-ncs.s.0=2~${sealed.slice(0, 900)}; __Host-ncs.s.1=${sealed.slice(900)}`, true],
      ["session seal as a transaction cookie", `__Host-ncs.tx.aaaaaaaaaaaaaaaa=${sealed}`, false],
      ["with an id cookie of 1 character", `${app.alice}; __Host-ncs.id=a`, true],
      ["with 200 forged transaction cookies", `${app.alice}; ${forgedTransactions(200)}`, true],
    );
  }
  const targets = ["/dashboard/x", "/api/me", "/api/admin/stats", "/auth/sign-in"];
  const cases = variants.flatMap(([label, cookie, stands]) =>
    targets.map((target) => ({
      family: "session" as const,
      label,
      target,
      headers: [["cookie", cookie]] as Array<[string, string | Buffer]>,
      signedIn: stands,
    })),
  );
  // Node joins two Cookie headers into one: the session's cookies in one, a second access token in the other.
  const second = app.serverSessions ? "__Host-ncs.id=AAAA" : `__Host-ncs.at=${get("__Host-ncs.at")}`;
  for (const target of targets) {
    cases.push({
      family: "session",
      label: "two Cookie headers, a cookie in both",
      target,
      headers: [
        ["cookie", app.alice],
        ["cookie", second],
      ],
      signedIn: false,
    });
  }
  return cases;
}

/** `count` transaction cookies that look like ours and open to nothing. */
function forgedTransactions(count: number): string {
  return Array.from({ length: count }, (_, i) => `__Host-ncs.tx.${`f${i}`.padEnd(16, "x")}=Fe26.2*1*${CANARY}*${i}*x*y*z*w~2`).join("; ");
}

/** A live transaction: its state, its cookie (name=value) and the sealed value alone. */
async function transactionCookie(app: AppUnderTest): Promise<{ state: string; cookie: string; transaction: string }> {
  const started = await rawRequest(app.example.baseURL, { target: "/auth/sign-in?returnTo=%2Fdashboard" });
  const state = new URL(headerOf(started, "location") ?? "http://x/").searchParams.get("state") ?? "";
  const cookie = cookieOf(started);
  return { state, cookie, transaction: cookie.slice(cookie.indexOf("=") + 1) };
}

function listedTokens(app: AppUnderTest): Array<[string, string]> {
  const { issuer, clientId } = app.example.cognito;
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, sub: CANARY, token_use: "access", client_id: clientId, scope: "orders/read", exp: now + 600, iat: now };
  const known = { alg: "RS256", kid: "CognitoLocal" };
  const nested = JSON.parse(`${"[".repeat(3000)}${"]".repeat(3000)}`);
  const hs256 = (() => {
    const input = `${b64({ alg: "HS256", kid: "CognitoLocal" })}.${b64(claims)}`;
    return `${input}.${createHmac("sha256", "CognitoLocal").update(input).digest("base64url")}`;
  })();
  return [
    ["no token", "Bearer"],
    ["empty token", "Bearer "],
    ["a.b.c", "Bearer a.b.c"],
    ["lower-case scheme", "bearer a.b.c"],
    ["spaces", "BEARER    a.b.c   "],
    ["tab", "Bearer\ta.b.c"],
    ["two segments", "Bearer a.b"],
    ["four segments", `Bearer ${jws(known, claims, junk(342))}.x`],
    ["empty segments", "Bearer .."],
    ["header not JSON", `Bearer ${b64("{")}.${b64(claims)}.${junk(342)}`],
    ["payload not JSON", `Bearer ${b64(known)}.${b64("{")}.${junk(342)}`],
    ["payload an array", `Bearer ${b64(known)}.${b64([claims])}.${junk(342)}`],
    ["payload nested 3000 deep", `Bearer ${b64(known)}.${b64({ ...claims, x: nested })}.${junk(342)}`],
    ["payload with __proto__", `Bearer ${b64(known)}.${Buffer.from(`{"__proto__":{"admin":true},"iss":"${issuer}"}`).toString("base64url")}.${junk(342)}`],
    ["alg none", `Bearer ${jws({ alg: "none" }, claims, "")}`],
    ["alg none with signature", `Bearer ${jws({ alg: "none", kid: "CognitoLocal" }, claims, junk(342))}`],
    ["alg HS256 keyed with the kid", `Bearer ${hs256}`],
    ["alg RS512", `Bearer ${jws({ alg: "RS512", kid: "CognitoLocal" }, claims, junk(342))}`],
    ["no kid", `Bearer ${jws({ alg: "RS256" }, claims, junk(342))}`],
    ["kid a number", `Bearer ${jws({ alg: "RS256", kid: 7 }, claims, junk(342))}`],
    ["kid an object", `Bearer ${jws({ alg: "RS256", kid: { a: 1 } }, claims, junk(342))}`],
    ["kid 300 characters", `Bearer ${jws({ alg: "RS256", kid: junk(300) }, claims, junk(342))}`],
    ["kid __proto__", `Bearer ${jws({ alg: "RS256", kid: "__proto__" }, claims, junk(342))}`],
    ["kid constructor", `Bearer ${jws({ alg: "RS256", kid: "constructor" }, claims, junk(342))}`],
    ["unknown kid, pool's iss", `Bearer ${jws({ alg: "RS256", kid: CANARY }, claims, junk(342))}`],
    ["unknown kid, another iss", `Bearer ${jws({ alg: "RS256", kid: CANARY }, { ...claims, iss: "https://evil.example" }, junk(342))}`],
    ["known kid, bogus signature", `Bearer ${jws(known, claims, junk(342))}`],
    ["known kid, signature of 341 characters (4k+1)", `Bearer ${jws(known, claims, junk(341))}`],
    ["known kid, signature of 1 character", `Bearer ${jws(known, claims, "a")}`],
    ["known kid, signature not base64url", `Bearer ${b64(known)}.${b64(claims)}.${CANARY}+/=`],
    ["jku header", `Bearer ${jws({ ...known, jku: "https://evil.example/jwks" }, claims, junk(342))}`],
    ["jwk header", `Bearer ${jws({ ...known, jwk: { kty: "RSA", n: "x", e: "AQAB" } }, claims, junk(342))}`],
    ["crit header", `Bearer ${jws({ ...known, crit: ["x"], x: 1 }, claims, junk(342))}`],
    ["14 KB token", `Bearer ${jws(known, { ...claims, pad: junk(10_000) }, junk(342))}`],
    ["40 KB token (over the header limit)", `Bearer ${jws(known, { ...claims, pad: junk(30_000) }, junk(342))}`],
    ["Basic credentials", `Basic ${b64(`alice:${CANARY}`)}`],
    ["non-ASCII token", `Bearer ${b64(known)}.é.${junk(342)}`],
  ];
}

/**
 * Invariant: a Bearer token the pool did not sign is refused (401 on what needs a session,
 * ignored elsewhere), whatever its header, payload and signature hold; never a 5xx.
 */
function generatedTokens(app: AppUnderTest): Array<[token: string, description: string]> {
  const { issuer, clientId } = app.example.cognito;
  const now = Math.floor(Date.now() / 1000);
  const header = fc.record(
    {
      alg: fc.constantFrom("RS256", "none", "HS256", "RS512", "ES256", ""),
      kid: fc.oneof(fc.constantFrom("CognitoLocal", "", CANARY), fc.string({ maxLength: 20 }), fc.integer()),
      typ: fc.constantFrom("JWT", "at+jwt"),
    },
    { requiredKeys: [] },
  );
  const payload = fc.record(
    {
      iss: fc.constantFrom(issuer, `${issuer}/`, "https://evil.example", ""),
      sub: fc.constantFrom(CANARY, ""),
      token_use: fc.constantFrom("access", "id", "refresh"),
      client_id: fc.constantFrom(clientId, "other"),
      exp: fc.oneof(fc.constantFrom(now + 600, now - 600, 0, "soon", 1e300), fc.integer()),
      iat: fc.oneof(fc.constantFrom(now, now + 10_000, "now"), fc.integer()),
      "cognito:groups": fc.oneof(fc.constant(["admins"]), fc.constant("admins"), fc.constant([1])),
    },
    { requiredKeys: [] },
  );
  const signature = fc.oneof(
    fc.nat({ max: 700 }).map((n) => junk(n)),
    fc.constantFrom(1, 5, 341, 345, 513).map((n) => junk(n)),
    fc.string({ unit: fc.constantFrom("A", "+", "/", "=", "%", "-"), maxLength: 20 }),
  );
  const token = fc.tuple(header, payload, signature).map(([h, p, s]): [string, string] => {
    // What the report names: the header as is, the claims' shape, the signature's length.
    const claims = Object.entries(p).map(([k, v]) =>
      k === "iss" ? `iss=${v === issuer ? "pool" : JSON.stringify(v)}` : `${k}=${JSON.stringify(v)?.slice(0, 16)}`,
    );
    return [jws(h, p, s), `${JSON.stringify(h).slice(0, 60)} {${claims.join(", ").slice(0, 120)}} signature of ${s.length}`];
  });
  return fc.sample(token, { seed: SEED + 2, numRuns: 70 });
}

function bearerCases(app: AppUnderTest): Case[] {
  const targets = ["/", "/dashboard/x", "/api/me", "/api/orders", "/api/admin/stats"];
  const aliceToken = /__Host-ncs\.at=([^;]*)/.exec(app.alice)?.[1];
  const cases: Case[] = [];
  for (const [label, authorization] of listedTokens(app)) {
    for (const target of targets) cases.push({ family: "bearer", label, target, headers: [["authorization", authorization]] });
  }
  generatedTokens(app).forEach(([token, description], i) => {
    cases.push({
      family: "bearer",
      label: `generated #${i}: ${description}`,
      target: targets[i % targets.length]!,
      headers: [["authorization", `Bearer ${token}`]],
    });
  });
  if (aliceToken) {
    for (const target of targets) {
      cases.push({ family: "bearer", label: "alice's access token", target, headers: [["authorization", `Bearer ${aliceToken}`]], signedIn: true });
      // Node keeps the first of two Authorization headers: junk first, so a session would be a leak.
      cases.push({
        family: "bearer",
        label: "two Authorization headers",
        target,
        headers: [
          ["authorization", "Bearer a.b.c"],
          ["authorization", `Bearer ${aliceToken}`],
        ],
      });
      cases.push({
        family: "bearer",
        label: "alice's token, last character dropped",
        target,
        headers: [["authorization", `Bearer ${aliceToken.slice(0, -1)}`]],
      });
    }
  }
  return cases;
}

async function transactionCases(app: AppUnderTest): Promise<Case[]> {
  const origin = new URL(app.example.baseURL).origin;
  const forged = forgedTransactions(200);
  const cases: Case[] = [
    { family: "transactions", label: "200 forged", target: "/auth/sign-in", headers: [["cookie", forged]] },
    { family: "transactions", label: "200 forged", target: "/auth/callback?state=f0xxxxxxxxxxxxxxrest&code=x", headers: [["cookie", forged]] },
    {
      family: "transactions",
      label: "200 forged",
      method: "POST",
      target: "/auth/sign-out",
      headers: [
        ["cookie", forged],
        ["origin", origin],
      ],
    },
    { family: "transactions", label: "200 forged", target: "/dashboard/x", headers: [["cookie", forged]] },
  ];
  const live = await transactionCookie(app);
  cases.push(
    {
      family: "transactions",
      label: "a live one sent twice",
      target: `/auth/callback?state=${live.state}&code=x`,
      headers: [["cookie", `${live.cookie}; ${live.cookie}`]],
    },
    { family: "transactions", label: "a live one and 200 forged", target: "/auth/sign-in", headers: [["cookie", `${live.cookie}; ${forged}`]] },
  );
  return cases;
}

/** Callbacks with junk parameters, each against a transaction of its own. */
async function callbackCases(app: AppUnderTest): Promise<Case[]> {
  const shapes: Array<[string, (state: string) => string]> = [
    ["junk code", (s) => `state=${s}&code=${CANARY}`],
    ["no code", (s) => `state=${s}`],
    ["foreign iss", (s) => `state=${s}&code=x&iss=http%3A%2F%2Fevil.example`],
    ["state twice", (s) => `state=${s}&state=${s}&code=x`],
    ["code twice", (s) => `state=${s}&code=a&code=b`],
    ["error access_denied", (s) => `state=${s}&error=access_denied`],
    ["error with markup", (s) => `state=${s}&error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&error_description=${"x".repeat(3000)}`],
    ["error empty and a code", (s) => `state=${s}&code=x&error=`],
    ["code 5000 characters", (s) => `state=${s}&code=${"x".repeat(5000)}`],
    ["code NUL", (s) => `state=${s}&code=%00`],
    ["code bad percent-encoding", (s) => `state=${s}&code=%E0%A4%A`],
    ["state with junk after it", (s) => `state=${s}%E0%A4%A&code=x`],
    ["another state", () => `state=${"A".repeat(43)}&code=x`],
    ["JARM response", (s) => `state=${s}&response=eyJ.eyJ.x`],
  ];
  const cases: Case[] = [];
  for (const [label, query] of shapes) {
    const live = await transactionCookie(app);
    cases.push({ family: "callback", label, target: `/auth/callback?${query(live.state)}`, headers: [["cookie", live.cookie]] });
  }
  cases.push(
    { family: "callback", label: "no state, no cookie", target: "/auth/callback" },
    { family: "callback", label: "state with no cookie", target: `/auth/callback?state=${CANARY}&code=x` },
    { family: "callback", label: "state of 16 symbols", target: "/auth/callback?state=%3B%3B%3B%3B%3B%3B%3B%3B%3B%3B%3B%3B%3B%3B%3B%3B&code=x" },
    { family: "callback", label: "POST", method: "POST", target: "/auth/callback?state=x&code=x" },
  );
  return cases;
}

/** returnTo values beyond the shared list: header injection, Unicode look-alikes, encoded dot segments. */
const MORE_RETURN_TO = [
  "/%0d%0aX-Injected:%201",
  "/%0aX-Injected:%201",
  "/%E2%80%A8",
  "/%EF%BC%8F%EF%BC%8Fevil.example",
  "／／evil.example",
  "/x?next=//evil.example",
  "/x#//evil.example",
  "http:/evil.example",
  "https:\\\\evil.example",
  "/..;/evil.example",
  "/%2e%2e%2f%2e%2e%2fevil.example",
  "/dashboard/..%2F..%2F..%2F%2Fevil.example",
  "/\u0000",
  "/%00",
];

/**
 * Invariant: wherever a sign-in ends (hosted UI or password form), it ends on the app's own
 * origin, whatever `returnTo` asked for.
 */
async function returnToCases(app: AppUnderTest, actionId: string | undefined): Promise<{ cases: Case[]; done: Outcome[] }> {
  const values = [...HOSTILE_RETURN_TO, ...MORE_RETURN_TO];
  const cases: Case[] = values.flatMap((value) => [
    { family: "returnTo" as const, label: `encoded ${JSON.stringify(value).slice(0, 50)}`, target: `/auth/sign-in?returnTo=${encodeURIComponent(value)}` },
    {
      family: "returnTo" as const,
      label: `on the sign-in page ${JSON.stringify(value).slice(0, 50)}`,
      target: `/sign-in?returnTo=${encodeURIComponent(value)}`,
    },
  ]);
  // Unencoded, as a hand-written link would put them.
  for (const raw of ["//evil.example", "/\\evil.example", "https://evil.example", "/%2F%2Fevil.example"]) {
    cases.push({ family: "returnTo", label: `unencoded ${raw}`, target: `/auth/sign-in?returnTo=${raw}` });
  }
  // Whole sign-ins: the callback's redirect is where the user lands.
  const done: Outcome[] = [];
  for (const value of values.slice(0, 24)) {
    done.push(...(await signInOverHttp(app, "bob@example.com", value, `hosted sign-in ${JSON.stringify(value).slice(0, 40)}`)).outcomes);
  }
  if (actionId) {
    for (const value of values.filter((_, i) => i % 3 === 0)) {
      cases.push({ ...passwordForm(actionId, value), family: "returnTo", label: `password sign-in ${JSON.stringify(value).slice(0, 40)}`, serverAction: true });
    }
  }
  return { cases, done };
}

/** The example's password form as a browser without JavaScript posts it. */
function passwordForm(actionId: string, returnTo: string): Omit<Case, "family" | "label"> {
  const boundary = `----hostile${randomBytes(4).toString("hex")}`;
  const fields: Array<[string, string]> = [
    ["$ACTION_REF_1", ""],
    ["$ACTION_1:0", JSON.stringify({ id: actionId, bound: "$@1" })],
    ["$ACTION_1:1", JSON.stringify([{ step: "password" }])],
    ["$ACTION_KEY", "k"],
    ["username", "bob@example.com"],
    ["password", "Passw0rd!"],
    ["returnTo", returnTo],
  ];
  const body = `${fields.map(([n, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`).join("")}--${boundary}--\r\n`;
  return { method: "POST", target: "/sign-in", headers: [["content-type", `multipart/form-data; boundary=${boundary}`]], body };
}

/** What a signed-out visitor meets on an app without the hosted UI: the auth routes and a protected page. */
function passwordOnlyCases(): Case[] {
  return [
    { family: "warm-up", label: "no hosted UI", target: "/" },
    { family: "warm-up", label: "no hosted UI", target: "/dashboard/x" },
    { family: "warm-up", label: "no hosted UI", target: "/account" },
    { family: "warm-up", label: "no hosted UI", target: "/auth/sign-in?returnTo=%2Fdashboard" },
    { family: "warm-up", label: "no hosted UI", target: "/auth/callback?state=x&code=y" },
    { family: "warm-up", label: "no hosted UI", method: "POST", target: "/auth/sign-out" },
  ];
}

function signOutCases(app: AppUnderTest): Case[] {
  const origin = new URL(app.example.baseURL).origin;
  const form = (body: string, extra: Array<[string, string]> = []): Pick<Case, "method" | "target" | "headers" | "body"> => ({
    method: "POST",
    target: "/auth/sign-out",
    headers: [["origin", origin], ["content-type", "application/x-www-form-urlencoded"], ...extra],
    body,
  });
  const junkSession = `__Host-ncs.at=${junk(40)}.${junk(40)}.${junk(341)}; __Host-ncs.s=Fe26.2**${CANARY}; __Host-ncs.id=a`;
  return [
    { family: "sign-out", label: "no Origin", method: "POST", target: "/auth/sign-out" },
    {
      family: "sign-out",
      label: "another Origin",
      method: "POST",
      target: "/auth/sign-out",
      headers: [
        ["origin", "http://evil.example"],
        ["cookie", junkSession],
      ],
    },
    { family: "sign-out", label: "Origin null", method: "POST", target: "/auth/sign-out", headers: [["origin", "null"]] },
    { family: "sign-out", label: "cross-site fetch metadata", method: "POST", target: "/auth/sign-out", headers: [["sec-fetch-site", "cross-site"]] },
    { family: "sign-out", label: "GET", target: "/auth/sign-out" },
    { family: "sign-out", label: "level=global with junk session", ...form("level=global", [["cookie", junkSession]]) },
    { family: "sign-out", label: "level=__proto__", ...form("level=__proto__") },
    { family: "sign-out", label: "level twice", ...form("level=local&level=global") },
    { family: "sign-out", label: "body of 100 KB", ...form(`level=global&x=${"a".repeat(100_000)}`) },
    {
      family: "sign-out",
      label: "body longer than its Content-Length says",
      ...form("level=global"),
      headers: [
        ["origin", origin],
        ["content-type", "application/x-www-form-urlencoded"],
        ["content-length", "3"],
      ],
    },
    {
      family: "sign-out",
      label: "multipart without a closing boundary",
      ...form('--x\r\ncontent-disposition: form-data; name="level"\r\n\r\nglobal'),
      headers: [
        ["origin", origin],
        ["content-type", "multipart/form-data; boundary=x"],
      ],
    },
    {
      family: "sign-out",
      label: "multipart without a boundary",
      ...form("junk"),
      headers: [
        ["origin", origin],
        ["content-type", "multipart/form-data"],
      ],
    },
    {
      family: "sign-out",
      label: "JSON body",
      ...form("{"),
      headers: [
        ["origin", origin],
        ["content-type", "application/json"],
      ],
    },
    { family: "sign-out", label: "signed in, level=global", ...form("level=global", [["cookie", junkSession]]) },
    { family: "sign-out", label: "PUT", method: "PUT", target: "/auth/sign-out", headers: [["origin", origin]] },
  ];
}

function headerCases(actionId: string | undefined): Case[] {
  const sets: Array<[string, Array<[string, string]>]> = [
    ["RSC", [["rsc", "1"]]],
    [
      "RSC with next-url",
      [
        ["rsc", "1"],
        ["next-url", "/dashboard/x"],
      ],
    ],
    [
      "prefetch",
      [
        ["rsc", "1"],
        ["next-router-prefetch", "1"],
      ],
    ],
    [
      "segment prefetch",
      [
        ["rsc", "1"],
        ["next-router-segment-prefetch", "/_tree"],
      ],
    ],
    [
      "router state tree junk",
      [
        ["rsc", "1"],
        ["next-router-state-tree", "%%%"],
      ],
    ],
    [
      "router state tree deep",
      [
        ["rsc", "1"],
        ["next-router-state-tree", encodeURIComponent("[".repeat(2000))],
      ],
    ],
    ["purpose prefetch", [["purpose", "prefetch"]]],
    [
      "fetch metadata cors",
      [
        ["sec-fetch-mode", "cors"],
        ["sec-fetch-dest", "empty"],
      ],
    ],
    ["accept RSC", [["accept", "text/x-component"]]],
    ["next-action junk", [["next-action", "f".repeat(42)]]],
    ["next-action path", [["next-action", "../../x"]]],
    ["x-ncs-path", [["x-ncs-path", "//evil.example/x"]]],
    [
      "x-ncs-* claims",
      [
        ["x-ncs-session", JSON.stringify({ sub: "x", groups: ["admins"] })],
        ["X-NCS-USER", "admin"],
      ],
    ],
    ["x-middleware-subrequest (middleware)", [["x-middleware-subrequest", "middleware:middleware:middleware:middleware:middleware"]]],
    ["x-middleware-subrequest (src/middleware)", [["x-middleware-subrequest", "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware"]]],
    ["x-middleware-subrequest (proxy)", [["x-middleware-subrequest", "proxy:proxy:proxy:proxy:proxy"]]],
    ["x-middleware-prefetch", [["x-middleware-prefetch", "1"]]],
    [
      "x-middleware-invoke",
      [
        ["x-middleware-invoke", "1"],
        ["x-invoke-path", "/dashboard/x"],
        ["x-invoke-status", "200"],
      ],
    ],
    [
      "x-matched-path",
      [
        ["x-matched-path", "/"],
        ["x-now-route-matches", "id=x"],
      ],
    ],
    ["x-nextjs-data", [["x-nextjs-data", "1"]]],
    [
      "forwarded host",
      [
        ["x-forwarded-host", "evil.example"],
        ["x-forwarded-proto", "https"],
        ["forwarded", "host=evil.example"],
      ],
    ],
    [
      "rewrite headers",
      [
        ["x-original-url", "/"],
        ["x-rewrite-url", "/"],
      ],
    ],
    [
      "Authorization and junk cookie",
      [
        ["authorization", "Bearer a.b.c"],
        ["cookie", "__Host-ncs.id=a; __Host-ncs.at=a"],
      ],
    ],
    ["a body on a GET", []],
  ];
  const targets = ["/", "/dashboard/x", "/admin", "/account", "/api/me", "/api/admin/stats"];
  const cases: Case[] = [];
  sets.forEach(([label, headers]) => {
    for (const target of targets) cases.push({ family: "headers", label, target, headers, ...(label === "a body on a GET" ? { body: "hello" } : {}) });
  });
  for (const target of ["/dashboard/x", "/admin", "/account"]) {
    cases.push({
      family: "headers",
      label: "server action POST",
      method: "POST",
      target,
      headers: [
        ["next-action", actionId ?? "f".repeat(42)],
        ["content-type", "text/plain;charset=UTF-8"],
      ],
      body: "[]",
    });
  }
  return cases;
}

function methodCases(): Case[] {
  const methods = ["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND", "SEARCH", "QUERY", "BREW", "get"];
  const targets = ["/", "/dashboard/x", "/admin", "/api/me", "/api/admin/stats", "/auth/sign-in", "/auth/callback?state=x&code=x", "/auth/sign-out"];
  // Next builds the middleware's Request from the incoming method, and the Fetch standard forbids TRACE.
  const upstream = (method: string) => (method === "TRACE" ? { upstream: "Next's middleware adapter: new Request() refuses the TRACE method" } : {});
  return methods.flatMap((method) => targets.map((target) => ({ family: "methods" as const, label: method, method, target, ...upstream(method) })));
}

/** The example's sign-in server action, called with arguments its form never sends. */
function serverActionCases(actionId: string | undefined): Case[] {
  if (!actionId) return [];
  const call = (label: string, body: string, contentType = "text/plain;charset=UTF-8"): Case => ({
    family: "server-actions",
    label,
    method: "POST",
    target: "/sign-in",
    headers: [
      ["next-action", actionId],
      ["content-type", contentType],
      ["accept", "text/x-component"],
    ],
    body,
    serverAction: true,
  });
  return [
    call("no arguments", "[]"),
    call("null state and form", "[null,null]"),
    call("a number for the form", '[{"step":"password"},5]'),
    call("an object for the form", `[{"step":"password"},{"password":"${CANARY}"}]`),
    call("state without step", "[{},null]"),
    call("new-password state without attributes", '[{"step":"new-password","requiredAttributes":5},null]'),
    {
      ...call("not JSON", "[", "text/plain;charset=UTF-8"),
      upstream: "Next's server-action handler cannot decode the arguments and answers 500 before the action runs",
    },
    call("a 1 MB string", `["${"a".repeat(1_000_000)}"]`),
    {
      ...call("junk action id", "[]"),
      headers: [
        ["next-action", "0".repeat(42)],
        ["content-type", "text/plain;charset=UTF-8"],
      ],
    },
    {
      ...call("from another origin", '[{"step":"password"},null]'),
      headers: [
        ["next-action", actionId],
        ["content-type", "text/plain;charset=UTF-8"],
        ["origin", "http://evil.example"],
      ],
      upstream: "Next's server-action CSRF check answers a foreign Origin with 500",
    },
  ];
}

// ---------------------------------------------------------------- checks

/** An invariant every answer is held to; `offence` says how an answer breaks it, if it does. */
interface Check {
  name: string;
  offence(outcome: Outcome, app: AppUnderTest): string | undefined;
}

function sameOriginOrIdp(location: string, app: AppUnderTest): boolean {
  const own = new URL(app.example.baseURL);
  if (location.startsWith("/")) return !/^\/[/\\]/.test(location);
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return false;
  }
  // The app answers on 127.0.0.1 too; either name of its own origin is the app.
  const ownHosts = [own.host, `127.0.0.1:${own.port}`];
  return (ownHosts.includes(url.host) && url.protocol === own.protocol) || url.origin === app.example.cognito.domain;
}

const CHECKS: Check[] = [
  {
    name: "no 5xx, no silence",
    offence: ({ case: c, response }) =>
      c.upstream !== undefined
        ? undefined
        : response.status >= 500
          ? `${response.status}`
          : response.status <= 0
            ? `no answer (${response.failure})`
            : undefined,
  },
  {
    name: "protected content only with a session",
    offence: ({ case: c, response }) => {
      if (c.signedIn) return undefined;
      const shown = PROTECTED.filter(([, marker]) => marker.test(response.body)).map(([what]) => what);
      return shown.length > 0 ? `${response.status} showing ${shown.join(", ")}` : undefined;
    },
  },
  {
    name: "session cookies set or cleared only with Cache-Control private, no-store",
    offence: ({ case: c, response }) => {
      const ours = headersOf(response, "set-cookie").filter((v) => v.startsWith("__Host-ncs"));
      if (ours.length === 0) return undefined;
      const cc = headerOf(response, "cache-control") ?? "";
      // In a server action Next writes Cache-Control itself; `no-store` alone still keeps every cache out.
      const ok = /\bno-store\b/.test(cc) && (c.serverAction || /\bprivate\b/.test(cc));
      return ok ? undefined : `${response.status} with ${ours.length} Set-Cookie and Cache-Control "${cc}"`;
    },
  },
  {
    // A route handler's answer for a cookie session is that user's data: with no Cache-Control a
    // shared cache (a CDN that ignores cookies) may keep it and hand it to the next visitor.
    name: "what a cookie session gets from an API route is not storable by shared caches",
    offence: ({ case: c, response }) => {
      const byCookie = c.headers?.some(([n]) => n === "cookie") && !c.headers.some(([n]) => n === "authorization");
      if (!c.signedIn || !byCookie || !c.target.startsWith("/api/") || response.status !== 200) return undefined;
      const cc = headerOf(response, "cache-control") ?? "";
      return /\b(private|no-store)\b/.test(cc) ? undefined : `200 with Cache-Control "${cc}"`;
    },
  },
  {
    name: "redirects stay on the app's origin or go to the hosted UI; sign-in returnTo is a path",
    offence: ({ response }, app) => {
      const location = headerOf(response, "location");
      if (location === undefined) return undefined;
      if (!sameOriginOrIdp(location, app)) return `${response.status} to ${location.slice(0, 100)}`;
      const url = new URL(location, app.example.baseURL);
      const returnTo = url.pathname.endsWith("/auth/sign-in") ? url.searchParams.get("returnTo") : null;
      return returnTo !== null && !/^\/(?![/\\])/.test(returnTo) ? `${response.status} to sign-in with returnTo ${returnTo.slice(0, 80)}` : undefined;
    },
  },
  {
    name: "only the library's cookies, each HttpOnly; Secure; SameSite=Lax; Path=/",
    offence: ({ response }) => {
      const bad = headersOf(response, "set-cookie").filter((v) => {
        const name = v.slice(0, v.indexOf("="));
        return !SESSION_COOKIE.test(name) || !/; HttpOnly/i.test(v) || !/; Secure/i.test(v) || !/; SameSite=Lax/i.test(v) || !/; Path=\/(;|$)/.test(v);
      });
      return bad.length > 0 ? `sets ${bad.map((v) => v.slice(0, v.indexOf("=")).slice(0, 60)).join(", ")}` : undefined;
    },
  },
  {
    name: "no internal or injected header reaches the client",
    offence: ({ response }) => {
      // `x-middleware-skip` is Next's answer to its own router's prefetch header: meant for the client.
      const internal = (n: string) => (n.startsWith("x-middleware-") && n !== "x-middleware-skip") || n.startsWith("x-ncs-") || n === "x-injected";
      const leaked = response.headers.map(([n]) => n).filter(internal);
      return leaked.length > 0 ? `sends ${[...new Set(leaked)].join(", ")}` : undefined;
    },
  },
  {
    name: "no secret, token or cookie value in a response body",
    offence: ({ response }, app) => {
      const secrets = secretsOf(app).filter(([, value]) => response.body.includes(value));
      return secrets.length > 0 ? `body holds ${secrets.map(([what]) => what).join(", ")}` : undefined;
    },
  },
];

/** What must never be printed or echoed: named, so a report says which without showing it. */
function secretsOf(app: AppUnderTest): Array<[string, string]> {
  const values: Array<[string, string]> = [
    ["SESSION_SECRET", app.example.secret],
    ["a junk cookie or token value (canary)", CANARY],
    ["the seeded password", app.example.cognito.password],
  ];
  for (const pair of app.alice.split("; ")) {
    const [name, value = ""] = pair.split(/=(.*)/s);
    // A value's last 40 characters: a signature or MAC, the part no one else can produce.
    if (value.length >= 40) values.push([`alice's ${name}`, value.slice(-40)]);
  }
  return values;
}

/** One line per offending request: app, family, method, target, case, and what went wrong. */
function describeOutcome(outcome: Outcome, offence: string): string {
  const { app, case: c } = outcome;
  const target = c.target.length > 110 ? `${c.target.slice(0, 110)}…(${c.target.length})` : c.target;
  return `[${app}] ${c.family}: ${c.method ?? "GET"} ${target} (${c.label}) → ${offence}`;
}

// ---------------------------------------------------------------- the runs

interface Hostile {
  apps: AppUnderTest[];
}

async function actionIdOf(example: RunningExample): Promise<string | undefined> {
  const page = await rawRequest(example.baseURL, { target: "/sign-in" });
  return /&quot;id&quot;:&quot;([0-9a-f]{20,})&quot;/.exec(page.body)?.[1];
}

for (const variant of ["middleware", "proxy"] as Variant[]) {
  const test = base.extend<object, { hostile: Hostile }>({
    hostile: [
      // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
      async ({}, use) => {
        const stops: Array<() => Promise<void>> = [];
        const apps: AppUnderTest[] = [];
        try {
          const example = await startExample({ variant });
          stops.push(() => example.stop());
          const alice = await signInAlice(variant, example);
          apps.push({ name: variant, example, alice, serverSessions: false });
          if (variant === "middleware") {
            // Password sign-in only: the README makes COGNITO_DOMAIN optional.
            const passwordOnly = await startExample({ variant, env: { COGNITO_DOMAIN: "" } });
            stops.unshift(() => passwordOnly.stop());
            apps.push({ name: `${variant} without hosted UI`, example: passwordOnly, alice: "", serverSessions: false, passwordOnly: true });
          }
          if (variant === "proxy") {
            // Server-side sessions (the browser holds a sealed id): the Node runtime and Redis.
            const redis = await RedisServer.start();
            stops.push(() => redis.stop());
            const onRedis = await startExample({ variant, env: { REDIS_URL: redis.url } });
            stops.unshift(() => onRedis.stop());
            const name = `${variant}+redis`;
            const aliceOnRedis = await signInAlice(name, onRedis);
            apps.push({ name, example: onRedis, alice: aliceOnRedis, serverSessions: true });
          }
          await use({ apps });
        } finally {
          for (const stop of stops) await stop();
        }
      },
      { scope: "worker", timeout: 420_000 },
    ],
  });

  test(`${variant}: no hostile input gets a 5xx, protected content, a foreign redirect or a cacheable session cookie`, async ({ hostile }) => {
    test.setTimeout(300_000);
    const outcomes: Outcome[] = [];
    const timings: string[] = [];
    for (const app of hostile.apps) {
      if (app.passwordOnly) {
        outcomes.push(...(await send(app, passwordOnlyCases())));
        continue;
      }
      expect.soft(app.alice, `${app.name}: alice signs in over HTTP`).toMatch(/__Host-ncs\.(at|id)=/);
      const actionId = await actionIdOf(app.example);
      const families: Array<[Family | string, () => Promise<Case[]> | Case[]]> = app.serverSessions
        ? [
            ["warm-up", () => warmUp()],
            ["cookies", () => cookieCases(app)],
            ["session", () => sessionCases(app)],
            ["transactions", () => transactionCases(app)],
            ["sign-out", () => signOutCases(app)],
          ]
        : [
            ["warm-up", () => warmUp()],
            ["paths", () => paths(app)],
            ["cookies", () => cookieCases(app)],
            ["session", () => sessionCases(app)],
            ["bearer", () => bearerCases(app)],
            ["transactions", () => transactionCases(app)],
            ["callback", () => callbackCases(app)],
            ["headers", () => headerCases(actionId)],
            ["methods", () => methodCases()],
            ["server-actions", () => serverActionCases(actionId)],
            ["sign-out", () => signOutCases(app)],
          ];
      for (const [family, build] of families) {
        await test.step(`${app.name}: ${family}`, async () => {
          const began = performance.now();
          const sent = await send(app, await build());
          outcomes.push(...sent);
          timings.push(`${app.name} ${family}: ${sent.length} requests in ${Math.round(performance.now() - began)} ms`);
        });
      }
      if (!app.serverSessions) {
        await test.step(`${app.name}: returnTo`, async () => {
          const began = performance.now();
          const { cases, done } = await returnToCases(app, actionId);
          const sent = [...done, ...(await send(app, cases))];
          outcomes.push(...sent);
          timings.push(`${app.name} returnTo: ${sent.length} requests in ${Math.round(performance.now() - began)} ms`);
        });
      }
    }

    const appOf = new Map(hostile.apps.map((a) => [a.name, a]));
    const summary = new Map<string, Map<number, number>>();
    for (const { app, case: c, response } of outcomes) {
      const key = `${app} ${c.family}`;
      const byStatus = summary.get(key) ?? new Map<number, number>();
      byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
      summary.set(key, byStatus);
    }
    await test.info().attach("statuses by family", {
      body: [...summary].map(([k, v]) => `${k}: ${[...v].map(([s, n]) => `${s}×${n}`).join(" ")}`).join("\n"),
      contentType: "text/plain",
    });
    await test.info().attach("timings", { body: timings.join("\n"), contentType: "text/plain" });
    await test.info().attach("every request", {
      body: outcomes.map((o) => describeOutcome(o, `${o.response.status}`)).join("\n"),
      contentType: "text/plain",
    });
    for (const o of outcomes.filter((o) => o.case.upstream !== undefined && (o.response.status >= 500 || o.response.status <= 0))) {
      test.info().annotations.push({ type: "5xx from Next itself", description: `${describeOutcome(o, `${o.response.status}`)}: ${o.case.upstream}` });
    }

    for (const check of CHECKS) {
      const offending = outcomes.flatMap((o) => {
        const offence = check.offence(o, appOf.get(o.app)!);
        return offence === undefined ? [] : [describeOutcome(o, offence)];
      });
      expect.soft(offending, `${check.name}: ${offending.length} of ${outcomes.length} requests (seed ${SEED})`).toEqual([]);
    }

    // The app's own output (not the embedded Cognito's, which logs what it is sent).
    for (const app of hostile.apps) {
      const own = app.example.log().split("\n--- cognito-local ---\n")[0]!;
      const printed = secretsOf(app)
        .filter(([, value]) => own.includes(value))
        .map(([what]) => what);
      expect.soft(printed, `${app.name}: the app's log prints no secret, token or cookie value`).toEqual([]);
    }
  });
}
