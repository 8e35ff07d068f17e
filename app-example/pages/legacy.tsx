import type { GetServerSideProps } from "next";
import { auth } from "../auth";

interface Props {
  email: string | null;
  groups: string[];
}

// A Pages Router page: the session from getServerSideProps' own req and res, refreshed there
// when due (the new cookies go out through res), never trusted from the middleware alone.
export const getServerSideProps: GetServerSideProps<Props> = async ({ req, res, resolvedUrl }) => {
  const session = await auth.getServerSession(req, res);
  if (!session) {
    return { redirect: { destination: `/auth/sign-in?returnTo=${encodeURIComponent(resolvedUrl)}`, permanent: false } };
  }
  return { props: { email: session.user?.email ?? null, groups: [...session.groups] } };
};

export default function Legacy({ email, groups }: Props) {
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", maxWidth: 720, margin: "2rem auto", padding: "0 1rem" }}>
      <h1>Pages Router</h1>
      <dl>
        <dt>Email</dt>
        <dd data-testid="legacy-email">{email}</dd>
        <dt>Groups</dt>
        <dd data-testid="legacy-groups">{groups.join(", ") || "none"}</dd>
      </dl>
      <form method="post" action="/auth/sign-out">
        <button type="submit">Sign out</button>
      </form>
    </main>
  );
}
