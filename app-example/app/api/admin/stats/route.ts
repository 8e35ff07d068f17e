import { auth } from "../../../../auth";

// The Node runtime (the default): with REDIS_URL the sessions live in Redis, which Edge
// code cannot reach; on Edge this route would see neither those sessions nor the
// sign-outs recorded there.

/** Figures for the `admins` group: 401 without a session, 403 for anyone else. */
export const GET = auth.withAuth({ groups: ["admins"] }, () => Response.json(stats()));

/** Reads the session from the scope withAuth opened, without it being passed in. */
function stats() {
  const session = auth.requireGroup("admins");
  return { requestedBy: session.user?.username ?? session.clientId, activeSessions: 2, signInsToday: 17 };
}
