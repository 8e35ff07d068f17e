// The `protect` rules against Next's own routing: patterns compile as Next's matcher syntax
// (path-to-regexp 6, the copy Next ships, is the oracle), and a rule covers every URL Next
// routes under its prefix (Next's route regexes and middleware matchers are the oracle).
// Paths come from attackers, so they are generated: encoded separators, dot segments raw
// and encoded, case, repeated slashes, trailing slashes, transport suffixes, invalid escapes.
import fc from "fast-check";
import { normalizeRepeatedSlashes } from "next/dist/shared/lib/utils.js";
import { describe, expect, it } from "vitest";
import { compilePattern, compileRules, matchRules, routedPaths, wantsPage } from "../src/http/rules.ts";
import { middlewareRequest, nextMatcherRuns, nextRoutes, pathToRegexp, routerPathnames } from "./helpers/next-routing.ts";

const APP = "http://localhost:3000";

/** What `pattern` compiles to, or the error it is refused with. */
function attempt(compile: (pattern: string) => RegExp, pattern: string): RegExp | Error {
  try {
    return compile(pattern);
  } catch (error) {
    return error as Error;
  }
}

describe("patterns: Next's matcher syntax, compiled as path-to-regexp compiles it", () => {
  it.each([
    ["/admin/(.*)", ["/admin/", "/admin/users", "/admin/a/b"], ["/admin", "/administrator"]],
    ["/(admin|ops)/:path*", ["/admin", "/ops/a/b", "/OPS/x"], ["/dev/ops", "/adminx"]],
    ["/admin/:id(\\d+)", ["/admin/42", "/admin/42/"], ["/admin/abc", "/admin/4/2"]],
    ["/dashboard/:path*", ["/dashboard", "/dashboard/", "/dashboard/a/b"], ["/dashboards", "/x/dashboard"]],
    ["/dashboard/:path+", ["/dashboard/a", "/dashboard/a/b"], ["/dashboard"]],
    ["/docs/:page?", ["/docs", "/docs/intro"], ["/docs/a/b"]],
    ["/((?!public|_next).*)", ["/", "/admin", "/x/public"], ["/public", "/_next/static/x"]],
  ])("compiles %s to path-to-regexp's own expression", (pattern, matching, other) => {
    const compiled = compilePattern(pattern);
    expect(compiled.source).toBe(pathToRegexp(pattern).source);
    for (const path of matching) expect(compiled.test(path), path).toBe(true);
    for (const path of other) expect(compiled.test(path), path).toBe(false);
  });

  it.each([
    ["/admin/*", /no parameter before it/],
    ["/a{/:b}?", /braces are not supported/],
    ["/:a:b", /two parameters/],
    ["/(admin", /unbalanced/],
    ["/admin/()", /empty pattern/],
    ["/(a(b))", /capturing group/],
    ["/(?:a)", /starting with "\?"/],
    ["/:", /parameter name/],
    ["/a-:b*", /repeats "b"/],
    ["/admin#x", /#, \? or a control character/],
    ["/admin\\?", /#, \? or a control character/],
    ["/ad\u0000min", /#, \? or a control character/],
    ["/admin\\", /lone backslash/],
    ["/admin/([)", /not a valid regular expression/],
    ["admin/:path*", /must start with \//],
  ])("refuses %j at start-up with a ConfigError naming it", (pattern, why) => {
    const error = attempt(compilePattern, pattern) as Error & { code?: string };
    expect(error.code).toBe("ERR_CONFIG");
    expect(error.message).toContain(`protect["${pattern}"]`);
    expect(error.message).toMatch(why);
  });

  it("refuses a bad pattern when the rules are compiled, as the middleware does at start-up", () => {
    expect(() =>
      compileRules([
        ["/dashboard/:path*", {}],
        ["/admin/*", {}],
      ]),
    ).toThrow(/protect\["\/admin\/\*"\]/);
  });

  // Pieces of patterns, valid and not: the generator puts them together in any order.
  const PIECES = [
    "/",
    "/",
    "/",
    "admin",
    "Ops",
    "-",
    ".",
    "_",
    "é",
    "%2F",
    " ",
    ":id",
    ":path",
    ":x",
    "*",
    "+",
    "?",
    "(.*)",
    "(\\d+)",
    "(admin|ops)",
    "((?!api|_next).*)",
    "(?:a|b)",
    "(",
    ")",
    "(a(b))",
    "([)",
    "()",
    "{",
    "}",
    "\\",
    "\\/",
    "\\:",
    "#",
    ":",
    "[",
    "]",
    "^",
    "$",
  ];
  const patterns = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((pieces) => `/${pieces.join("")}`);

  it("property: a pattern compiles to exactly path-to-regexp's expression, or is refused with a ConfigError; what path-to-regexp refuses is always refused", () => {
    // Refused beyond path-to-regexp, by design: {…} groups and text no path contains.
    // A lone trailing backslash, which path-to-regexp drops, is refused too.
    const refusedByDesign = /[{}#\u0000-\u001f\u007f]|\\\?|\\$/;
    fc.assert(
      fc.property(patterns, (pattern) => {
        const ours = attempt(compilePattern, pattern);
        const theirs = attempt(pathToRegexp, pattern);
        if (ours instanceof RegExp) {
          expect(theirs).toBeInstanceOf(RegExp);
          expect(ours.source).toBe((theirs as RegExp).source);
          expect(ours.flags).toBe((theirs as RegExp).flags);
        } else {
          expect((ours as Error & { code?: string }).code).toBe("ERR_CONFIG");
          expect(ours.message).toContain(`protect["${pattern}"]`);
          expect(theirs instanceof Error || refusedByDesign.test(pattern)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

// Request targets an attacker may send: a prefix, then segments built from encoded
// separators, dot segments (raw and encoded), case variants, percent junk and unicode.
const HEADS = [
  ...["/dashboard", "/admin", "/ops"].flatMap((head) => [head, head, head]),
  ...["/Dashboard", "/ADMIN", "/%64ashboard", "/dashboard%2F..", "/public", "/Public", "/_next/data/build", ""],
];
const FRAGMENTS = [
  "dashboard",
  "Dashboard",
  "admin",
  "ops",
  "settings",
  "public",
  "x",
  "..",
  ".",
  "%2e%2e",
  "%2E%2e",
  ".%2e",
  "%2e",
  "%2f",
  "%2F",
  "%5C",
  "%5c",
  "\\",
  "%",
  "%zz",
  "%e0%a4%a",
  "%C3%A9",
  "é",
  "%00",
  "%20",
  ";",
  "index",
  ".rsc",
  ".json",
  "%25",
  "%252F",
  "%3F",
  "%23",
  "~",
];
const segment = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 3 }).map((f) => f.join("")) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }).map((s) => s.replace(/[?#]/g, "")) },
);
const spellings = fc
  .record({
    head: fc.constantFrom(...HEADS),
    rest: fc.array(segment, { maxLength: 5 }),
    separator: fc.constantFrom("/", "/", "/", "//", "\\"),
    tail: fc.constantFrom("", "", "/", ".rsc", ".json", ".segments/_tree.segment.rsc"),
  })
  .map(({ head, rest, separator, tail }) => {
    const target = `${head}${rest.map((s) => separator + s).join("")}${tail}`;
    return /^[/\\]/.test(target) ? target : `/${target}`;
  });
const targets = spellings
  // Next answers a path with `//` or `\` with a 308 to the same path without them, before the
  // middleware and the router see it (router-utils/resolve-routes.js): what gets routed is
  // the request the browser sends next.
  .map((target) => (/\/\/|\\/.test(target) ? normalizeRepeatedSlashes(target) : target));

/**
 * Whether Next's adapter hides where `target` is routed: it drops a final `.rsc` (and the
 * `/_next/data/<build>/….json` wrapping) from the URL and parses the rest again, so a last
 * segment `...rsc` (`.%2e.rsc`, `.%2e.json` in a data URL, …) turns into `..` and the
 * middleware sees the path two segments up (`/dashboard/...rsc` reaches it as `/`) while the
 * router renders `app/dashboard/[id]`. No rule can see the segments it is never handed.
 */
function hiddenByAdapter(target: string): boolean {
  const pathname = new URL(`${APP}${target}`).pathname;
  const last = pathname.split("/").pop()!;
  return /^(?:\.|%2e){2}\.rsc$/i.test(last) || (pathname.startsWith("/_next/data/") && /^(?:\.|%2e){2}\.json$/i.test(last));
}

/** The patterns of matching rules for `target`, as the middleware gets it. */
function matchedFor(rules: ReturnType<typeof compileRules>, target: string): Set<string> {
  const pathname = middlewareRequest(APP, target).nextUrl.pathname;
  return new Set(matchRules(rules, pathname).map((r) => r.pattern));
}

describe("a rule covers every URL Next routes under its prefix", () => {
  // App Router routes, and the rules a user would write to protect each.
  const ROUTES = [
    { route: "/dashboard/[id]", covering: ["/dashboard/:path*", "/dashboard/(.*)"] },
    { route: "/dashboard/[...slug]", covering: ["/dashboard/:path*", "/dashboard/:path+", "/dashboard/(.*)"] },
    { route: "/dashboard/settings", covering: ["/dashboard/:path*", "/dashboard/settings"] },
    { route: "/dashboard", covering: ["/dashboard/:path*", "/dashboard"] },
    { route: "/admin/[[...x]]", covering: ["/admin/:path*", "/(admin|ops)/:path*"] },
    { route: "/ops/[team]/[id]", covering: ["/(admin|ops)/:path*", "/ops/:team/:id"] },
  ];
  const rules = compileRules([...new Set(ROUTES.flatMap((r) => r.covering))].map((pattern) => [pattern, {}]));

  it.each(["/dashboard/..%2F..%2Fpublic", "/dashboard/..%5C..%5Cpublic", "/dashboard/x%2F..%2F..", "/dashboard/%2e%2e%2f%2e%2e%2fx"])(
    "covers %s, which Next routes to app/dashboard/[id]",
    (target) => {
      const pathname = middlewareRequest(APP, target).nextUrl.pathname;
      expect(nextRoutes("/dashboard/[id]", pathname)).toBe(true);
      expect(matchedFor(rules, target)).toContain("/dashboard/:path*");
      expect(matchedFor(rules, target)).toContain("/dashboard/(.*)");
    },
  );

  it.each([
    ["/dashboard%2Fsettings", "/dashboard/settings"],
    ["/dashboard/settings/", "/dashboard/settings"],
    ["/Dashboard/x", "/dashboard/:path*"],
    ["/dashboard/x.rsc", "/dashboard/:path*"],
    ["/dashboard.segments/_tree.segment.rsc", "/dashboard"],
    // Next's segment-prefetch normalizer keeps a final /index, and takes the last .segments.
    ["/ops/a/index.segments/_tree.segment.rsc", "/ops/:team/:id"],
    ["/ops/a.segments/b.segments/_tree.segment.rsc", "/ops/:team/:id"],
    ["/_next/data/build/dashboard.json", "/dashboard"],
    ["/admin%2Fusers", "/admin/:path*"],
    // Next's matcher for /dashboard runs on the decoded /dashboard.json.
    ["/dashboard%2Ejson", "/dashboard"],
    // Seen by the middleware as /dashboard/ and /ops/a/, routed with the `.rsc` segment.
    ["/dashboard/.rsc", "/dashboard/:path+"],
    ["/ops/a/.rsc", "/ops/:team/:id"],
  ])("covers %s by the rule %s", (target, pattern) => {
    expect(matchedFor(rules, target)).toContain(pattern);
  });

  it("checks / under a rule for /:team/:path*, since Next routes /.rsc (seen as /) to app/[team]", () => {
    expect(nextRoutes("/[team]", routerPathnames("/.rsc")[0]!)).toBe(true);
    expect(middlewareRequest(APP, "/.rsc").nextUrl.pathname).toBe("/");
    expect(matchRules(compileRules([["/:team/:path*", {}]]), "/")).toHaveLength(1);
  });

  it("keeps each reading of the path Next may route by", () => {
    expect(routedPaths("/dashboard/reports")).toEqual(["/dashboard/reports", "/dashboard/reports.rsc"]);
    expect(routedPaths("/dashboard/..%2F..%2Fpublic")).toEqual(expect.arrayContaining(["/dashboard/..%2F..%2Fpublic", "/dashboard/../../public", "/public"]));
  });

  it("property: a rule covers every path Next routes under its prefix (oracle: Next's route regexes and static lookup)", () => {
    let routed = 0; // targets Next routes to one of ROUTES
    fc.assert(
      fc.property(targets, (target) => {
        if (hiddenByAdapter(target)) return;
        const matched = matchedFor(rules, target);
        let hit = false;
        for (const view of routerPathnames(target)) {
          for (const { route, covering } of ROUTES) {
            if (!nextRoutes(route, view)) continue;
            hit = true;
            for (const pattern of covering) expect(matched, `${target} → ${route} (${view})`).toContain(pattern);
          }
        }
        if (hit) routed++;
      }),
      { numRuns: 1000 },
    );
    // A good share of the generated targets reach one of the routes: the property is not vacuous.
    expect(routed).toBeGreaterThan(150);
  });

  // Patterns as users write them in `config.matcher`, negative lookaheads included.
  const MATCHER_PATTERNS = [
    "/dashboard/:path*",
    "/admin/(.*)",
    "/(admin|ops)/:path*",
    "/admin/:id(\\d+)",
    "/((?!public|_next).*)",
    "/",
    "/ops/:team/:id?",
    "/dashboard/settings",
  ];
  const matcherRules = compileRules(MATCHER_PATTERNS.map((pattern) => [pattern, {}]));
  const nextRuns = MATCHER_PATTERNS.map((pattern) => [pattern, nextMatcherRuns(pattern)] as const);

  it("property: a rule applies wherever Next's own matcher with the same pattern would run the middleware", () => {
    let ran = 0;
    fc.assert(
      fc.property(targets, (target) => {
        if (hiddenByAdapter(target)) return;
        const matched = matchedFor(matcherRules, target);
        const [pathname] = routerPathnames(target);
        for (const [pattern, runs] of nextRuns) {
          if (!runs(pathname!)) continue;
          ran++;
          expect(matched, `${target} (${pathname}) under ${pattern}`).toContain(pattern);
        }
      }),
      { numRuns: 1000 },
    );
    expect(ran).toBeGreaterThan(300);
  });

  it("cannot see a path Next's adapter hides: /dashboard/...rsc reaches the middleware as /", () => {
    // Next 16.4's adapter (server/web/adapter.js normalizeRscURL, then NextURL): what the
    // middleware is handed, for any middleware. Pages that must not render without a session
    // check it themselves (requireSession); this goes red when Next stops doing it.
    expect(hiddenByAdapter("/dashboard/...rsc")).toBe(true);
    expect(middlewareRequest(APP, "/dashboard/...rsc").nextUrl.pathname).toBe("/");
    expect(nextRoutes("/dashboard/[id]", routerPathnames("/dashboard/...rsc")[0]!)).toBe(true);
    // The same with a Pages Router data URL: NextURL re-parses the unwrapped path.
    expect(hiddenByAdapter("/_next/data/build/dashboard/.%2e.json")).toBe(true);
    expect(middlewareRequest(APP, "/_next/data/build/dashboard/.%2e.json").nextUrl.pathname).toBe("/");
  });

  it("property: no path makes the rules throw", () => {
    const all = compileRules(MATCHER_PATTERNS.concat(ROUTES.flatMap((r) => r.covering)).map((pattern) => [pattern, {}]));
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (path) => {
        matchRules(all, `/${path}`);
        wantsPage(new Request(APP), `/${path}`);
      }),
      { numRuns: 500 },
    );
  });

  it("covers /index, /index.json and /index.rsc by a rule for /, as Next's matcher for / does", () => {
    for (const target of ["/index", "/index.json", "/index.rsc", "/_next/data/build/index.json"]) {
      expect(nextMatcherRuns("/")(routerPathnames(target)[0]!), target).toBe(true);
      expect(matchedFor(matcherRules, target), target).toContain("/");
    }
  });

  it("is case-sensitive as Next's matcher is where that protects more: /Public is not /public", () => {
    // A negative lookahead excludes less when case counts; Next routes /Public/x apart from /public/x.
    expect(matchedFor(matcherRules, "/Public/x")).toContain("/((?!public|_next).*)");
    expect(matchedFor(matcherRules, "/public/x")).not.toContain("/((?!public|_next).*)");
  });
});

describe("every matching rule holds", () => {
  it("matches both rules for /admin/users under a catch-all rule and an admin rule", () => {
    const rules = compileRules([
      ["/:path*", {}],
      ["/admin/:path*", { groups: ["admins"] }],
    ]);
    expect(matchRules(rules, "/admin/users").map((r) => r.pattern)).toEqual(["/:path*", "/admin/:path*"]);
    expect(matchRules(rules, "/reports").map((r) => r.pattern)).toEqual(["/:path*"]);
  });
});

describe("remembered answers", () => {
  // Invariant: the answer for a path is the same whether it was worked out or remembered, for any
  // order of requests, including more distinct paths than are remembered and paths too long to keep.
  it("matchRules answers a path the same when asked again as when first asked", () => {
    const pattern = (fresh: boolean) =>
      (fresh ? compileRules : compileRulesOnce)([
        ["/dashboard/:path*", {}],
        ["/(admin|ops)/:path*", { groups: ["admins"] }],
      ]);
    const compileRulesOnce = (() => {
      let kept: ReturnType<typeof compileRules> | undefined;
      return (entries: Parameters<typeof compileRules>[0]) => (kept ??= compileRules(entries));
    })();
    const segment = fc.constantFrom("dashboard", "admin", "ops", "Admin", "x", "..", "%2F", "%2e%2e", ".rsc", "a".repeat(600));
    const path = fc.array(segment, { minLength: 0, maxLength: 4 }).map((s) => `/${s.join("/")}`);
    fc.assert(
      fc.property(fc.array(path, { minLength: 1, maxLength: 1500 }), (paths) => {
        const remembered = pattern(false);
        for (const p of [...paths, ...paths]) {
          expect(matchRules(remembered, p).map((r) => r.pattern)).toEqual(matchRules(pattern(true), p).map((r) => r.pattern));
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe("wantsPage", () => {
  const navigation = (path: string) => new Request(`${APP}${path}`, { headers: { accept: "text/html", "sec-fetch-mode": "navigate" } });

  it("answers data to any reading of the path that names an API or Next's own files", () => {
    for (const path of ["/api/orders", "/%61pi/orders", "/api%2Forders", "/x/..%2F..%2Fapi/orders", "/_next/data/b/x.json"]) {
      expect(wantsPage(navigation(path), path), path).toBe(false);
    }
    expect(wantsPage(navigation("/apis"), "/apis")).toBe(true);
    expect(wantsPage(navigation("/dashboard/api"), "/dashboard/api")).toBe(true);
  });
});
