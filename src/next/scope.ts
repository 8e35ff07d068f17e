import type { Outage } from "../lib/errors.ts";
import type { CookieChanges } from "../persistence/changes.ts";
import type { CustomAttributes, Session } from "../session/session.ts";
import { SessionScopeError } from "../lib/errors.ts";

/** The subset of AsyncLocalStorage used here; Node and Next's Edge runtime both provide it. */
export interface Scope<T> {
  run<R>(store: T, fn: () => R): R;
  getStore(): T | undefined;
}

type ScopeClass = new <T>() => Scope<T>;

/**
 * An async-local scope: what `run` is given is what every call below it, however deep,
 * reads back with `getStore`. Next puts `AsyncLocalStorage` on `globalThis` in both its
 * Node and Edge runtimes; elsewhere (plain Node, tests) it comes from the runtime's
 * built-ins. No `node:` import appears here, so nothing Node-only reaches an Edge bundle.
 */
export function createScope<T>(): Scope<T> {
  const globals = globalThis as {
    AsyncLocalStorage?: ScopeClass;
    process?: { getBuiltinModule?: (id: string) => { AsyncLocalStorage: ScopeClass } | undefined };
  };
  let storage: Scope<T> | undefined;
  // Created on first use, so merely configuring the library needs no AsyncLocalStorage.
  const get = (): Scope<T> => {
    if (storage) return storage;
    const Class = globals.AsyncLocalStorage ?? globals.process?.getBuiltinModule?.("node:async_hooks")?.AsyncLocalStorage;
    if (!Class) {
      throw new SessionScopeError("this runtime has no AsyncLocalStorage (Next provides it; plain Node needs 20.16 or later)");
    }
    storage = new Class<T>();
    return storage;
  };
  return {
    run: (store, fn) => get().run(store, fn),
    getStore: () => storage?.getStore(),
  };
}

/** What a session scope holds. */
export interface SessionState<Custom extends CustomAttributes> {
  session: Session<Custom> | null;
  /** What could not be reached (keys, Cognito, the store), so the session could not be checked either way. */
  unavailable: Outage | undefined;
  /** The pools whose groups and scopes count, as the enclosing `withAuth` rule named them. */
  pools?: readonly string[];
  /** The headers the session was read from, when the scope was given a request. */
  headers?: Headers;
  /** The cookies the session's refresh wrote for this request (withAuth): newer than those in `headers`. */
  changes?: CookieChanges;
}
