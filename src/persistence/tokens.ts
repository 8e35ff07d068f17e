/** The tokens a session cookie set holds. */
export interface StoredTokens {
  accessToken: string;
  idToken: string | undefined;
  refreshToken: string | undefined;
  /** When the session ends for good (seconds since the epoch): the refresh token's lifetime. */
  endsAt: number;
}

/** What is sealed of a token set besides the access token. */
export interface SealedPart {
  r?: string;
  i?: string;
  e: number;
}

/** The token set of an access token and what was sealed with it. */
export const stored = (accessToken: string, part: SealedPart): StoredTokens => ({ accessToken, idToken: part.i, refreshToken: part.r, endsAt: part.e });

/** What of `tokens` is sealed besides the access token; absent tokens are left out, not stored as undefined. */
export function sealedPart(tokens: StoredTokens): SealedPart {
  const part: SealedPart = { e: tokens.endsAt };
  if (tokens.refreshToken !== undefined) part.r = tokens.refreshToken;
  if (tokens.idToken !== undefined) part.i = tokens.idToken;
  return part;
}
