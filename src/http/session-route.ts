import type { Outage } from "../lib/errors.ts";
import { sessionAnswer } from "../session/client-session.ts";
import type { CustomAttributes, Session } from "../session/session.ts";
import { outageOf } from "./outage.ts";
import { plainText, privateResponse, unavailable } from "./responses.ts";

/**
 * `GET <basePath>/session`: the request's session as client components see it, JSON
 * `{ status: "signed-in", session }` or, with no session, 200 `{ status: "signed-out" }`
 * (a state to show, not an error to handle). 503 naming the service when the session could
 * not be checked, or when a lapsed session's refresh failed with its cookies kept (Cognito
 * down or erring: the next ask may find it again), so a client keeps what it had. Always
 * the requester's own: `Cache-Control: private, no-store`, `Vary: Cookie, Authorization`.
 */
export function sessionRoute(
  method: string,
  { session, unavailable: outage, refreshFailed }: { session: Session<CustomAttributes> | null; unavailable: Outage | undefined; refreshFailed: boolean },
): Response {
  if (method !== "GET" && method !== "HEAD") return plainText(405, "The session is read with GET.", { allow: "GET, HEAD" });
  const failure = session === null ? (outage ?? (refreshFailed ? outageOf("cognito") : undefined)) : undefined;
  if (failure !== undefined) return privateResponse(unavailable(failure));
  const response = Response.json(sessionAnswer(session));
  return privateResponse(response);
}
