"use client";
// `next-cognito-session/client`: the session in client components. Nothing here reaches a
// server module (the .dependency-cruiser.cjs rules keep it so): the session comes from the
// server as its token-free view, in the provider's props or from `GET <basePath>/session`.
export {
  SessionProvider,
  type SessionProviderProps,
  type SessionStatus,
  signOut,
  type SignOutOptions,
  type UseSession,
  useSession,
  useSignOut,
} from "./client/session-provider.ts";
export type { ClientSession, SessionAnswer } from "./session/client-session.ts";
