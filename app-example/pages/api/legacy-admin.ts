import type { NextApiRequest, NextApiResponse } from "next";
import { auth } from "../../auth";

// Admins only: 403 `insufficient_scope` for anyone else, as a route handler would answer.
export default auth.withAuth({ groups: ["admins"] }, (_req: NextApiRequest, res: NextApiResponse, { session }) => {
  res.status(200).json({ admin: session.user?.email ?? null });
});
