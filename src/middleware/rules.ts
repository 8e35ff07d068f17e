import { type AccessRule, checkRule } from "../session/authorize.ts";

/** A compiled `protect` entry. */
export interface PathRule {
  pattern: string;
  regex: RegExp;
  rule: AccessRule;
}

/**
 * Compile a Next-style path pattern: `:name` is one segment, `:name*` zero or more,
 * `:name+` one or more. `/dashboard/:path*` therefore covers `/dashboard` itself.
 */
export function compilePattern(pattern: string): RegExp {
  let source = "";
  for (const segment of pattern.split("/").slice(1)) {
    const param = /^:\w+([*+?]?)$/.exec(segment);
    if (!param) source += `/${segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`;
    else if (param[1] === "*") source += "(?:/[^/]+)*";
    else if (param[1] === "+") source += "(?:/[^/]+)+";
    else if (param[1] === "?") source += "(?:/[^/]+)?";
    else source += "/[^/]+";
  }
  return new RegExp(`^${source || "/"}$`);
}

export function compileRules(protect: Array<[string, AccessRule]>): PathRule[] {
  return protect.map(([pattern, rule]) => ({ pattern, regex: compilePattern(pattern), rule: checkRule(`protect["${pattern}"]`, rule) }));
}

/**
 * The path as the router will see it: percent-decoded, duplicate and trailing slashes
 * dropped, dot segments resolved. Rules match this, so `/%61dmin/` and `//admin` are `/admin`.
 */
export function normalizePath(pathname: string): string {
  let decoded = pathname;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    // Keep undecodable input as is; it cannot name a real route either way.
  }
  const segments: string[] = [];
  for (const segment of decoded.split(/[/\\]+/)) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join("/")}`;
}

/** The first rule matching `pathname`, if any. */
export function matchRule(rules: PathRule[], pathname: string): PathRule | undefined {
  const path = normalizePath(pathname);
  return rules.find((r) => r.regex.test(path));
}

/**
 * Whether a request wants a page (redirect to sign-in) or data (401/403). API paths,
 * RSC fetches, prefetches, server actions and non-GET requests are data: a redirect to
 * the hosted UI would only break them.
 */
export function wantsPage(request: Request, pathname: string): boolean {
  const h = request.headers;
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  if (h.has("rsc") || h.has("next-router-prefetch") || h.has("next-action") || h.get("purpose") === "prefetch") {
    return false;
  }
  // Next removes `RSC` and `Next-Router-Prefetch` before the middleware runs, so the browser's
  // own word decides: anything but a navigation (the router's fetch() calls included) is data.
  const mode = h.get("sec-fetch-mode");
  if (mode !== null && mode !== "navigate") return false;
  const path = normalizePath(pathname);
  if (path === "/api" || path.startsWith("/api/") || path.startsWith("/_next/")) return false;
  const accept = h.get("accept");
  return accept === null || accept.includes("text/html") || accept.includes("*/*");
}
