"use client";
import { useSession, useSignOut } from "next-cognito-session/client";

/** The session as a client component sees it: claims and expiry from the provider, no token. */
export function ClientSession() {
  const { status, session } = useSession();
  const signOut = useSignOut();
  return (
    <section>
      <h2>In a client component</h2>
      <p data-testid="client-status">{status}</p>
      {session && (
        <p>
          Signed in as <span data-testid="client-email">{session.user?.email}</span> until{" "}
          <time dateTime={new Date(session.expiresAt).toISOString()}>{new Date(session.expiresAt).toLocaleTimeString()}</time>
        </p>
      )}
      {status === "signed-in" && (
        <button type="button" onClick={() => signOut()}>
          Client sign-out
        </button>
      )}
    </section>
  );
}
