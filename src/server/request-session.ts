import type { Core } from "../core.ts";
import { parseCookieHeader } from "../cookies/jar.ts";
import { emptyChanges } from "../cookies/session-cookies.ts";
import { JwksUnavailableError } from "../errors.ts";
import { resolveSession, type Resolution } from "../session/resolve.ts";
import type { CustomAttributes } from "../session/session.ts";

/**
 * The session of a request, from `Authorization: Bearer` first, then the cookies. Verifies
 * on its own: a header the middleware may or may not have set is never trusted. With
 * `refresh`, a lapsed cookie session is refreshed and the cookie writes returned.
 */
export async function sessionOfRequest<Custom extends CustomAttributes>(
  core: Core,
  headers: Headers,
  options: { refresh: boolean },
): Promise<Resolution<Custom> & { bearer: boolean }> {
  const authorization = headers.get("authorization");
  if (authorization !== null && /^bearer(?:\s|$)/i.test(authorization)) {
    // A request that names a bearer token is judged by that token alone.
    try {
      const session = await core.reader.fromBearer<Custom>(authorization);
      return { session, changes: emptyChanges(), unavailable: false, bearer: true };
    } catch (error) {
      if (error instanceof JwksUnavailableError) return { session: null, changes: emptyChanges(), unavailable: true, bearer: true };
      throw error;
    }
  }
  const jar = parseCookieHeader(headers.get("cookie"));
  return { ...(await resolveSession<Custom>(core, jar, options)), bearer: false };
}
