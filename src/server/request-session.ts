import type { Core } from "../core.ts";
import { parseCookieHeader } from "../cookies/jar.ts";
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
  if (authorization !== null && /^bearer\s/i.test(authorization)) {
    // A request that names a bearer token is judged by that token alone.
    const session = await core.reader.fromBearer<Custom>(authorization);
    return { session, changes: { set: [], remove: [] }, unavailable: false, bearer: true };
  }
  const jar = parseCookieHeader(headers.get("cookie"));
  return { ...(await resolveSession<Custom>(core, jar, options)), bearer: false };
}
