import type { Session } from "./session.ts";

/** What a path or handler requires beyond being signed in. */
export interface AccessRule {
  /** OAuth scopes the access token must carry. */
  scopes?: string[];
  /** Cognito groups (`cognito:groups`) the user must be in. */
  groups?: string[];
  /** `"all"` (default): every listed scope and group. `"any"`: at least one of them. */
  match?: "all" | "any";
}

/** The outcome of checking a session against a rule. */
export type Decision =
  | { allowed: true }
  | { allowed: false; reason: "unauthenticated" }
  | { allowed: false; reason: "forbidden"; missingScopes: string[]; missingGroups: string[] };

/** Check `session` against `rule`. No session is `unauthenticated`; a shortfall is `forbidden`. */
export function authorize(session: Session<any> | null, rule: AccessRule = {}): Decision {
  if (!session) return { allowed: false, reason: "unauthenticated" };
  const scopes = rule.scopes ?? [];
  const groups = rule.groups ?? [];
  if (scopes.length === 0 && groups.length === 0) return { allowed: true };
  const missingScopes = scopes.filter((s) => !session.scopes.includes(s));
  const missingGroups = groups.filter((g) => !session.groups.includes(g));
  const allowed =
    rule.match === "any"
      ? missingScopes.length < scopes.length || missingGroups.length < groups.length
      : missingScopes.length === 0 && missingGroups.length === 0;
  return allowed ? { allowed: true } : { allowed: false, reason: "forbidden", missingScopes, missingGroups };
}
