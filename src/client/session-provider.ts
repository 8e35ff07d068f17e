"use client";
// Runs in the browser: imports React and the view's types, nothing else of the library, so
// no server module, no token and no secret can reach a client bundle through it.
import { createContext, createElement, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import type { ClientSession, SessionAnswer } from "../session/client-session.ts";
import type { CustomAttributes } from "../session/session.ts";

/** Where the session stands: `loading` only until the first answer when the server gave none. */
export type SessionStatus = "loading" | "signed-in" | "signed-out";

/** What `useSession()` returns. */
export type UseSession<Custom extends CustomAttributes = CustomAttributes> = (
  | { status: "loading"; session: null }
  | { status: "signed-in"; session: ClientSession<Custom> }
  | { status: "signed-out"; session: null }
) & {
  /**
   * Ask `GET <basePath>/session` again (the middleware refreshes the session on that
   * request when it is due). Resolves to the new session, or null when signed out; when the
   * route cannot answer (offline, a 503) the session stays as it was and that is returned.
   */
  update(): Promise<ClientSession<Custom> | null>;
};

/** The props of {@link SessionProvider}. */
export interface SessionProviderProps {
  /**
   * The session filled on the server: `await auth.getClientSession()` (null when signed
   * out), so the first render needs no fetch. Left out (undefined), the provider starts
   * `loading` and fetches it.
   */
  session?: ClientSession<CustomAttributes> | null;
  /** The library's `basePath` option, where the session and sign-out routes are. Default `/auth`. */
  basePath?: string;
  /** Ask the route again when the window regains focus. Default true. */
  refetchOnWindowFocus?: boolean;
  children?: ReactNode;
}

/** How long after the access token's expiry the provider asks again: the middleware then refreshes. */
const AFTER_EXPIRY_MS = 2_000;
/** The shortest wait between timed asks, so a clock that is off, or an outage, cannot make a loop of them. */
const MIN_DELAY_MS = 10_000;
/** setTimeout's longest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1;

type State = { status: "loading"; session: null } | { status: "signed-in"; session: ClientSession } | { status: "signed-out"; session: null };

interface ContextValue {
  state: State;
  update(): Promise<ClientSession | null>;
  basePath: string;
}

const SessionContext = createContext<ContextValue | undefined>(undefined);

const stateOf = (session: ClientSession | null | undefined): State =>
  session === undefined ? { status: "loading", session: null } : session === null ? { status: "signed-out", session: null } : { status: "signed-in", session };

/** What tabs tell each other: who they now see signed in, if anyone. */
interface TabMessage {
  status: SessionStatus;
  sub: string | null;
}

const messageOf = (state: State): TabMessage => ({ status: state.status, sub: state.session?.user?.sub ?? null });

/**
 * The session route's answer as a state, or undefined when there is none to trust (offline,
 * a 503, anything but the answer's own shape): the caller keeps what it had.
 */
async function fetchState(basePath: string): Promise<State | undefined> {
  try {
    const response = await fetch(`${basePath}/session`, { credentials: "same-origin", cache: "no-store", headers: { accept: "application/json" } });
    if (!response.ok) return undefined;
    const answer = (await response.json()) as SessionAnswer | null;
    if (answer?.status === "signed-out") return stateOf(null);
    if (answer?.status === "signed-in" && typeof answer.session?.expiresAt === "number") return stateOf(answer.session);
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * Gives client components below it the session through {@link useSession}. Put it in the
 * root layout, filled on the server: `<SessionProvider session={await auth.getClientSession()}>`.
 * It asks `GET <basePath>/session` again when the window regains focus, shortly after the
 * access token's expiry, and when another tab of the app reports a different user or a
 * sign-out (BroadcastChannel).
 */
export function SessionProvider({ session, basePath = "/auth", refetchOnWindowFocus = true, children }: SessionProviderProps): ReactNode {
  const [state, setState] = useState<State>(() => stateOf(session));
  const stateRef = useRef(state);
  stateRef.current = state;
  const inFlight = useRef<Promise<ClientSession | null> | undefined>(undefined);
  const channel = useRef<BroadcastChannel | undefined>(undefined);

  // A new server render (navigation, router.refresh()) brings a newer session.
  useEffect(() => {
    if (session !== undefined) setState(stateOf(session));
  }, [session]);

  const update = useCallback((): Promise<ClientSession | null> => {
    // Asks at once (focus, a timer, another tab) share one request.
    inFlight.current ??= fetchState(basePath)
      .then((next) => {
        const current = next ?? stateRef.current;
        if (next) setState(next);
        return current.session;
      })
      .finally(() => {
        inFlight.current = undefined;
      });
    return inFlight.current;
  }, [basePath]);

  // Tabs tell each other what they see; a tab that sees something else asks the route,
  // which is the truth (cookies are shared), rather than trusting the message.
  useEffect(() => {
    if (typeof BroadcastChannel === "undefined") return;
    const tabs = new BroadcastChannel(`next-cognito-session:${basePath}`);
    channel.current = tabs;
    tabs.onmessage = (event: MessageEvent<TabMessage>) => {
      const mine = messageOf(stateRef.current);
      if (event.data?.status !== mine.status || event.data?.sub !== mine.sub) void update();
    };
    return () => {
      channel.current = undefined;
      tabs.close();
    };
  }, [basePath, update]);

  const status = state.status;
  const sub = state.session?.user?.sub ?? null;
  useEffect(() => {
    if (status === "loading") void update();
    else channel.current?.postMessage({ status, sub } satisfies TabMessage);
  }, [status, sub, update]);

  useEffect(() => {
    if (!refetchOnWindowFocus) return;
    const onFocus = () => {
      if (document.visibilityState === "visible") void update();
    };
    window.addEventListener("focus", onFocus);
    document.addEventListener("visibilitychange", onFocus);
    return () => {
      window.removeEventListener("focus", onFocus);
      document.removeEventListener("visibilitychange", onFocus);
    };
  }, [refetchOnWindowFocus, update]);

  const expiresAt = state.status === "signed-in" ? state.session.expiresAt : undefined;
  useEffect(() => {
    if (expiresAt === undefined) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Shortly after the expiry; then, while the answer does not move it (an outage), again every MIN_DELAY_MS.
    const arm = (at: number) => {
      if (!live) return;
      timer = setTimeout(() => void update().then(() => arm(0)), Math.min(Math.max(at - Date.now(), MIN_DELAY_MS), MAX_DELAY_MS));
    };
    arm(expiresAt + AFTER_EXPIRY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [expiresAt, update]);

  const value = useMemo<ContextValue>(() => ({ state, update, basePath }), [state, update, basePath]);
  return createElement(SessionContext.Provider, { value }, children);
}

/**
 * The session in a client component, below a {@link SessionProvider}: `status`, `session`
 * (claims, groups, scopes, expiry; never a token) and `update()`.
 *
 * @typeParam Custom the pool's custom attributes, as given to `createCognitoSession`.
 */
export function useSession<Custom extends CustomAttributes = CustomAttributes>(): UseSession<Custom> {
  const context = useContext(SessionContext);
  if (context === undefined) throw new Error("useSession() needs a <SessionProvider> above it (next-cognito-session/client)");
  return { ...context.state, update: context.update } as UseSession<Custom>;
}

/** What {@link signOut} may ask for. */
export interface SignOutOptions {
  /** A sign-out level the app's `signOut.levels` offers (`local`, `revoke`, `global`); the configured one when left out. */
  level?: string;
  /** The library's `basePath` option. Default: the enclosing provider's, else `/auth`. */
  basePath?: string;
}

/**
 * Sign out from the browser: posts the same form as a server-rendered sign-out button
 * (`POST <basePath>/sign-out`, an optional `level` field, the browser's own `Origin`), so
 * the page goes where sign-out sends it (`signOut.redirectTo` or the hosted UI's logout).
 * The page that loads next tells the app's other tabs, which then find themselves signed out.
 */
export function signOut({ level, basePath = "/auth" }: SignOutOptions = {}): void {
  const form = document.createElement("form");
  form.method = "post";
  form.action = `${basePath}/sign-out`;
  form.style.display = "none";
  if (level !== undefined) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "level";
    input.value = level;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}

/** {@link signOut} with the enclosing provider's `basePath`; the function `useSession()` users reach for. */
export function useSignOut(): (options?: Omit<SignOutOptions, "basePath">) => void {
  const basePath = useContext(SessionContext)?.basePath;
  return useCallback((options = {}) => signOut({ ...options, ...(basePath === undefined ? {} : { basePath }) }), [basePath]);
}
