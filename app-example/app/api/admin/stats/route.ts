import { auth } from "../../../../auth";

// Runs on the Edge runtime, so the example exercises the session scope there too.
export const runtime = "edge";

/** Figures for the `admins` group: 401 without a session, 403 for anyone else. */
export const GET = auth.withAuth({ groups: ["admins"] }, () => Response.json(stats()));

/** Reads the session from the scope withAuth opened, without it being passed in. */
function stats() {
  const session = auth.requireGroup("admins");
  return { requestedBy: session.user?.username ?? session.clientId, activeSessions: 2, signInsToday: 17 };
}
