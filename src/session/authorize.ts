import type { AccessRule } from "../config/options.ts";
import { checkRulePools, type ResolvedPool } from "../config/resolve.ts";
import { ConfigError } from "../lib/errors.ts";
import { type CustomAttributes, poolOf, type Session } from "./session.ts";

/** The outcome of checking a session against a rule. */
export type Decision =
  | { allowed: true }
  | { allowed: false; reason: "unauthenticated" }
  | { allowed: false; reason: "forbidden"; missingScopes: string[]; missingGroups: string[] };

/**
 * Check `session` against `rule`. No session is `unauthenticated`; a shortfall is
 * `forbidden`. The session's groups and scopes count only when it comes from a pool the
 * rule accepts (see {@link AccessRule.pools}); otherwise every one listed is missing.
 */
export function authorize(session: Session<CustomAttributes> | null, rule: AccessRule = {}): Decision {
  if (!session) return { allowed: false, reason: "unauthenticated" };
  const scopes = rule.scopes ?? [];
  const groups = rule.groups ?? [];
  if (scopes.length === 0 && groups.length === 0) return { allowed: true };
  const counted = accepts(rule, session);
  const missingScopes = scopes.filter((s) => !counted || !session.scopes.includes(s));
  const missingGroups = groups.filter((g) => !counted || !session.groups.includes(g));
  const allowed =
    rule.match === "any"
      ? missingScopes.length < scopes.length || missingGroups.length < groups.length
      : missingScopes.length === 0 && missingGroups.length === 0;
  return allowed ? { allowed: true } : { allowed: false, reason: "forbidden", missingScopes, missingGroups };
}

/** Whether the rule counts the groups and scopes of the pool `session` comes from. */
function accepts(rule: AccessRule, session: Session<CustomAttributes>): boolean {
  const pool = poolOf(session);
  // A session no app verified (a copy, or one built by hand) has no pool to vouch for its names.
  if (pool === undefined) return false;
  return rule.pools === undefined ? pool.own : rule.pools.includes(pool.userPoolId);
}

// RFC 6749 scope-token characters: printable ASCII but space, `"` and `\`, so every scope can go
// into a `WWW-Authenticate` challenge as is.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Check a rule where it is declared (the factory's `protect`, `withAuth`, `requireSession`),
 * so a typo fails at start-up instead of locking everyone out or letting everyone in.
 * `pools`, the app's configured pools, are those the rule may name. Throws a ConfigError
 * naming `where`.
 */
export function checkRule(where: string, rule: AccessRule, pools?: readonly ResolvedPool[]): AccessRule {
  if (rule === null || typeof rule !== "object") throw new ConfigError(where, "must be an object");
  const { scopes, groups, match } = rule;
  checkRulePools(where, rule.pools, pools);
  if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((s) => typeof s === "string" && SCOPE_TOKEN.test(s)))) {
    throw new ConfigError(`${where}.scopes`, "must be a list of scope names without spaces or quotes");
  }
  if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === "string" && g !== ""))) {
    throw new ConfigError(`${where}.groups`, "must be a list of group names");
  }
  if (match !== undefined && match !== "all" && match !== "any") throw new ConfigError(`${where}.match`, 'must be "all" or "any"');
  return rule;
}

/**
 * Check `session` against every rule in `rules` (all the `protect` rules covering a path):
 * allowed only when each allows. No session is `unauthenticated`; otherwise the shortfalls
 * of all the refusing rules make one `forbidden`.
 */
export function authorizeAll(session: Session<CustomAttributes> | null, rules: readonly AccessRule[]): Decision {
  const missingScopes = new Set<string>();
  const missingGroups = new Set<string>();
  let forbidden = false;
  for (const rule of rules) {
    const decision = authorize(session, rule);
    if (decision.allowed) continue;
    if (decision.reason === "unauthenticated") return decision;
    forbidden = true;
    for (const s of decision.missingScopes) missingScopes.add(s);
    for (const g of decision.missingGroups) missingGroups.add(g);
  }
  return forbidden ? { allowed: false, reason: "forbidden", missingScopes: [...missingScopes], missingGroups: [...missingGroups] } : { allowed: true };
}
