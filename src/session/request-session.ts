import type { Outage } from "../lib/errors.ts";
import type { Core } from "./core.ts";
import { parseCookieHeader } from "../persistence/jar.ts";
import { emptyChanges } from "../persistence/changes.ts";
import { resolveSession, type Resolution } from "./resolve.ts";
import type { CustomAttributes } from "./session.ts";

/**
 * The session of a request, from `Authorization: Bearer` first, then the cookies. Verifies
 * on its own: a header the middleware may or may not have set is never trusted. With
 * `refresh`, a lapsed cookie session is refreshed and the cookie writes returned.
 */
export async function sessionOfRequest<Custom extends CustomAttributes>(
  core: Core,
  headers: Headers,
  options: { refresh: boolean },
): Promise<Resolution<Custom>> {
  return (await bearerSession<Custom>(core, headers)) ?? resolveSession<Custom>(core, parseCookieHeader(headers.get("cookie")), options);
}

/**
 * The session of a request that names an `Authorization: Bearer` token, judged by that
 * token alone (cookies are not looked at); undefined when the request names none.
 */
export async function bearerSession<Custom extends CustomAttributes>(core: Core, headers: Headers): Promise<Resolution<Custom> | undefined> {
  const authorization = headers.get("authorization");
  if (authorization === null || !/^bearer(?:\s|$)/i.test(authorization)) return undefined;
  // fromBearer throws nothing but an outage.
  const read = await core.reader.fromBearer<Custom>(authorization).then(
    (session) => ({ session, unavailable: undefined }),
    (error: Outage) => ({ session: null, unavailable: error }),
  );
  return { ...read, changes: emptyChanges(), refreshFailed: false };
}
