import { auth } from "../../../../auth";

/** Figures for the `admins` group: 401 without a session, 403 for anyone else. */
export const GET = auth.withAuth({ groups: ["admins"] }, (_request, { session }) =>
  Response.json({ requestedBy: session.user?.username ?? session.clientId, activeSessions: 2, signInsToday: 17 }),
);
