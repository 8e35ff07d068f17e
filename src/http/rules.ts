import { ConfigError } from "../lib/errors.ts";
import type { AccessRule } from "../config/options.ts";
import { checkRule } from "../session/authorize.ts";

/** A compiled `protect` entry. */
export interface PathRule {
  pattern: string;
  /** The pattern as Next's `config.matcher` runs it: path-to-regexp's expression, case-sensitive. */
  exact: RegExp;
  /** The same expression as path-to-regexp itself runs it: case-insensitive. */
  folded: RegExp;
  rule: AccessRule;
}

// path-to-regexp 6 (the version Next compiles `config.matcher` with): a parameter takes a
// `/` or `.` right before it as its prefix, and matches one segment unless given a pattern.
const PREFIXES = "./";
const SEGMENT = "[^\\/#\\?]+?";
const escapeRegex = (text: string) => text.replace(/([.+*?=^!:${}()[\]|/\\])/g, "\\$1");

type Lexeme = { type: "char" | "escaped" | "name" | "pattern" | "modifier"; value: string; at: number };
type Token = string | { name: string; prefix: string; pattern: string; modifier: string };

function lex(pattern: string, fail: (why: string) => never): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    const at = i;
    if (c === "*" || c === "+" || c === "?") {
      out.push({ type: "modifier", value: c, at });
      i++;
    } else if (c === "\\") {
      if (i + 1 >= pattern.length) fail("ends in a lone backslash");
      out.push({ type: "escaped", value: pattern[i + 1]!, at });
      i += 2;
    } else if (c === "{" || c === "}") {
      fail(`has a brace at ${at}: groups in braces are not supported; write the alternatives as separate rules`);
    } else if (c === ":") {
      const name = /^\w*/.exec(pattern.slice(i + 1))![0];
      // path-to-regexp's names are ASCII letters, digits and `_`; `\w` is exactly that without the `u` flag.
      if (!name) fail(`needs a parameter name after ":" at ${at}`);
      out.push({ type: "name", value: name, at });
      i += 1 + name.length;
    } else if (c === "(") {
      let depth = 1;
      let body = "";
      i++;
      if (pattern[i] === "?") fail(`has a pattern starting with "?" at ${i}`);
      while (i < pattern.length) {
        if (pattern[i] === "\\") {
          body += pattern.slice(i, i + 2);
          i += 2;
          continue;
        }
        if (pattern[i] === ")" && --depth === 0) {
          i++;
          break;
        }
        if (pattern[i] === "(") {
          depth++;
          if (pattern[i + 1] !== "?") fail(`has a capturing group at ${i}: write (?:…)`);
        }
        body += pattern[i++];
      }
      if (depth > 0) fail(`has an unbalanced "(" at ${at}`);
      if (!body) fail(`has an empty pattern "()" at ${at}`);
      out.push({ type: "pattern", value: body, at });
    } else {
      out.push({ type: "char", value: c, at });
      i++;
    }
  }
  return out;
}

function parse(pattern: string, fail: (why: string) => never): Token[] {
  const lexed = lex(pattern, fail);
  const tokens: Token[] = [];
  let text = "";
  let unnamed = 0;
  let u = 0;
  const take = (type: Lexeme["type"]) => (lexed[u]?.type === type ? lexed[u++]!.value : undefined);
  // A parameter without a pattern stops before the text that precedes it, so two
  // parameters in a row have nothing to tell them apart.
  const segmentPattern = (prefix: string): string => {
    const last = tokens[tokens.length - 1];
    const before = prefix || (typeof last === "string" ? last : "");
    if (last !== undefined && !before) fail("has two parameters with no text between them");
    if (!before || /[/#?]/.test(before)) return SEGMENT;
    return `(?:(?!${escapeRegex(before)})[^\\/#\\?])+?`;
  };
  while (u < lexed.length) {
    const char = take("char");
    const name = take("name");
    const body = take("pattern");
    if (name !== undefined || body !== undefined) {
      let prefix = char ?? "";
      if (!PREFIXES.includes(prefix)) {
        text += prefix;
        prefix = "";
      }
      if (text) tokens.push(text);
      text = "";
      const modifier = take("modifier") ?? "";
      tokens.push({ name: name ?? String(unnamed++), prefix, pattern: body ?? segmentPattern(prefix), modifier });
      continue;
    }
    const literal = char ?? take("escaped");
    if (literal !== undefined) {
      text += literal;
      continue;
    }
    // Only a modifier can stand here, with no parameter before it to apply to.
    fail(`has "${lexed[u]!.value}" at ${lexed[u]!.at} with no parameter before it (a path is written /:path*, not /*)`);
  }
  if (text) tokens.push(text);
  return tokens;
}

/**
 * Compile a `protect` pattern exactly as path-to-regexp 6 does (the syntax of Next's
 * `config.matcher`): `:name` is one segment, `:name*` zero or more, `:name+` one or more,
 * `:name?` optional, `:name(\d+)` and `(.*)` custom patterns, `/(admin|ops)/:path*`
 * alternatives; `/dashboard/:path*` therefore covers `/dashboard` itself. What path-to-regexp
 * refuses, and what could only ever match nothing (`#`, `?`, control characters as text) or
 * is not supported (`{…}` groups), throws a ConfigError naming the pattern: a rule never
 * silently fails open.
 */
export function compilePattern(pattern: string): RegExp {
  const fail = (why: string): never => {
    throw new ConfigError(`protect["${pattern}"]`, why);
  };
  if (!pattern.startsWith("/")) fail("must start with /");
  let source = "^";
  for (const token of parse(pattern, fail)) {
    if (typeof token === "string") {
      // A pathname never holds these raw: text with them would match nothing.
      if (/[\u0000-\u001f\u007f#?]/.test(token)) fail("has #, ? or a control character as text: a path never contains them");
      source += escapeRegex(token);
      continue;
    }
    const { name, prefix, pattern: body, modifier } = token;
    const repeats = modifier === "*" || modifier === "+";
    if (!prefix) {
      if (repeats) fail(`repeats "${name}" (${modifier}) without a / before it`);
      source += `(${body})${modifier}`;
    } else if (repeats) {
      const p = escapeRegex(prefix);
      source += `(?:${p}((?:${body})(?:${p}(?:${body}))*))${modifier === "*" ? "?" : ""}`;
    } else {
      source += `(?:${escapeRegex(prefix)}(${body}))${modifier}`;
    }
  }
  // Not strict: one trailing delimiter may follow, as with Next's matcher.
  source += "[\\/#\\?]?$";
  try {
    return new RegExp(source, "i");
  } catch {
    return fail("has a pattern that is not a valid regular expression");
  }
}

/** Compile the factory's `protect` entries; a bad pattern or rule throws a ConfigError naming it. */
export function compileRules(protect: Array<[string, AccessRule]>): PathRule[] {
  return protect.map(([pattern, rule]) => {
    const folded = compilePattern(pattern);
    return { pattern, exact: new RegExp(folded.source), folded, rule: checkRule(`protect["${pattern}"]`, rule) };
  });
}

function decode(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

// `%2F`, `%5C` and `..` resolved, repeated and trailing slashes dropped, as a server that
// normalizes paths before routing would.
function resolveSegments(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split(/[/\\]+/)) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join("/")}`;
}

// The pages a transport request may be for: Pages Router data routes
// (`/_next/data/<build>/x.json`), the App Router's RSC and segment-prefetch requests (`x.rsc`,
// `x.segments/….segment.rsc`) and `/index`, as Next's own matcher and request normalizers
// read them. Next strips most of these before the middleware runs, unless told not to.
function pagesOf(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const data = /^\/_next\/data\/[^/]+(\/.*)?$/.exec(trimmed);
  const page = data ? (data[1] ?? "/") : trimmed;
  const prefetched = page.replace(/^(\/.*)\.segments\/.*$/, "$1");
  const bare = prefetched.replace(/\.(?:json|rsc)$/, "") || "/";
  return [page, prefetched, bare, bare.replace(/\/index$/, "") || "/"];
}

/**
 * Every path Next may route the request for `pathname` by (the URL's pathname as the
 * middleware sees it: parsed, dot segments resolved, basePath removed). Next matches dynamic
 * routes against the still-encoded path, each segment decoded apart (`/dashboard/..%2Fx` is
 * `app/dashboard/[id]`), and looks static routes up by the whole path decoded
 * (`/dashboard%2Fsettings` is `app/dashboard/settings`); repeated slashes, backslashes and a
 * trailing slash do not change the route. A rule that matches any of these paths applies:
 * the list errs on the side of more, never fewer, so it also holds the decoded path with
 * `%2F`, `%5C` and dot segments resolved and the page behind transport forms (`.rsc`,
 * `/_next/data/…`, `.json`, `/index`).
 */
export function routedPaths(pathname: string): string[] {
  // Next's adapter drops a final `.rsc` from the URL before the middleware sees it, while the
  // router routes the path with it: `/dashboard/.rsc` is `app/dashboard/[id]`, seen as `/dashboard/`.
  const paths = new Set([pathname, `${pathname}.rsc`]);
  for (const derive of [decode, resolveSegments, pagesOf]) {
    for (const path of [...paths]) {
      for (const derived of [derive(path)].flat()) if (derived !== undefined) paths.add(derived);
    }
  }
  return [...paths];
}

/**
 * Every rule that covers `pathname`: a rule covers a request when its pattern matches any of
 * the paths Next may route it by ({@link routedPaths}), with or without regard to case. All
 * of them must hold, not only the first.
 */
export function matchRules(rules: readonly PathRule[], pathname: string): readonly PathRule[] {
  if (rules.length === 0) return [];
  // Working out every reading of a path costs microseconds on every request, and an app has
  // few paths: remember the answers, within a bound an attacker's made-up paths cannot pass.
  let memo = MEMOS.get(rules);
  if (memo === undefined) {
    memo = new Map();
    MEMOS.set(rules, memo);
  }
  const known = memo.get(pathname);
  if (known !== undefined) return known;
  const paths = routedPaths(pathname);
  const matched = rules.filter((r) => paths.some((path) => r.exact.test(path) || r.folded.test(path)));
  if (pathname.length <= MEMO_PATH_LENGTH) {
    if (memo.size >= MEMO_SIZE) memo.clear();
    memo.set(pathname, matched);
  }
  return matched;
}

/** Answers of {@link matchRules} per compiled rule list: at most MEMO_SIZE paths of at most MEMO_PATH_LENGTH characters. */
const MEMOS = new WeakMap<readonly PathRule[], Map<string, readonly PathRule[]>>();
const MEMO_SIZE = 1024;
const MEMO_PATH_LENGTH = 512;

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
  // Any reading of the path that names an API or Next's own files makes it data: the stricter answer.
  if (routedPaths(pathname).some((path) => /^\/(?:api(?:\/|$)|_next\/)/i.test(path))) return false;
  const accept = h.get("accept");
  return accept === null || accept.includes("text/html") || accept.includes("*/*");
}
