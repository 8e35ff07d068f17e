import type { CookieJar } from "../../src/persistence/jar.ts";
import type { CookieChanges } from "../../src/persistence/changes.ts";
import type { Core } from "../../src/session/core.ts";

/** What a flow function hands back: a result and the cookie changes that go with it. */
interface Step<R> {
  result: R;
  changes: CookieChanges;
}

/**
 * A browser's cookie jar for calling flow functions directly, as server actions do: each
 * call gets the jar as the browser would send it, and its cookie changes are applied after.
 */
export class FlowBrowser {
  jar: CookieJar = new Map();
  /** Every change set the calls answered with, newest last. */
  readonly history: CookieChanges[] = [];

  constructor(readonly core: Core) {}

  async run<R>(step: (core: Core, jar: CookieJar) => Promise<Step<R>>): Promise<R> {
    const { result, changes } = await step(this.core, new Map(this.jar));
    this.history.push(changes);
    for (const { name } of changes.remove) this.jar.delete(name);
    for (const { name, value } of changes.set) this.jar.set(name, [value]);
    return result;
  }

  /** The signed-in user's ID-token attributes, or undefined without a valid session. */
  async user(): Promise<Record<string, unknown> | undefined> {
    const tokens = await this.core.storage.read(this.jar);
    if (!tokens) return undefined;
    const read = await this.core.reader.fromTokens(tokens);
    return read.status === "valid" ? ((read.session.user as Record<string, unknown> | null) ?? undefined) : undefined;
  }

  get challengeCookie(): string | undefined {
    return this.jar.get(this.core.transactions.challengeCookie)?.[0];
  }
}
