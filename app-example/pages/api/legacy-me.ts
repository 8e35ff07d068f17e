import type { NextApiRequest, NextApiResponse } from "next";
import { auth } from "../../auth";

// A pages/api route: 401 without a session, as the App Router's /api/me answers.
export default auth.withAuth({}, (_req: NextApiRequest, res: NextApiResponse, { session }) => {
  res.status(200).json({ email: session.user?.email ?? null, groups: session.groups });
});
