import { auth } from "../../../auth";

/** The caller's claims as JSON; 401 without a session (cookie or Bearer). */
export const GET = auth.withAuth({}, (_request, { session }) =>
  Response.json({
    sub: session.user?.sub ?? null,
    username: session.user?.username ?? null,
    email: session.user?.email ?? null,
    groups: session.groups,
    scopes: session.scopes,
    clientId: session.clientId,
  }),
);
