// The denylist on its own: which verified tokens it refuses, for how long, what it does
// with what the store hands it, and that it does not grow without bound.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Denylist } from "../src/store/denylist.ts";
import { MemoryStore } from "../src/store/memory.ts";

afterEach(() => vi.useRealTimers());

/** A clock frozen at `ms` into a second; returns that second. */
function frozen(ms = 100): number {
  const second = Math.floor(Date.now() / 1000);
  vi.useFakeTimers({ toFake: ["Date"], now: second * 1000 + ms });
  return second;
}

const token = (claims: { sub?: string; iat: number; jti?: string; origin_jti?: string }) => ({ sub: "alice", ...claims });

describe("Denylist", () => {
  it("a global sign-out refuses the user's tokens issued up to its second, for the lifetime given", async () => {
    const now = frozen();
    const denylist = new Denylist(new MemoryStore());
    await denylist.signOut("alice", 60);
    expect(denylist.refuses(token({ iat: now }))).toBe(true);
    expect(denylist.refuses(token({ iat: now + 1 }))).toBe(false);
    expect(denylist.refuses(token({ sub: "bob", iat: now }))).toBe(false);
    vi.setSystemTime((now + 1 + 60) * 1000);
    expect(denylist.refuses(token({ iat: now }))).toBe(false);
  });

  it("a second sign-out moves the not-before on; an older one heard late never moves it back", async () => {
    const now = frozen();
    const store = new MemoryStore();
    const denylist = new Denylist(store);
    await denylist.ready();
    await denylist.signOut("alice", 600);
    vi.setSystemTime((now + 5) * 1000);
    await denylist.signOut("alice", 600);
    expect(denylist.refuses(token({ iat: now + 5 }))).toBe(true);
    await store.announce("nbf:alice", `${now + 1}:${now + 601}`, 600_000);
    expect(denylist.refuses(token({ iat: now + 5 }))).toBe(true);
  });

  it("a revoke refuses the tokens carrying the session's origin_jti, or without one the token by its jti", async () => {
    const now = frozen();
    const denylist = new Denylist(new MemoryStore());
    expect(await denylist.revoke({ origin_jti: "sign-in-1", jti: "a1" }, 60)).toBe(true);
    expect(denylist.refuses(token({ iat: now, origin_jti: "sign-in-1", jti: "a2" }))).toBe(true);
    expect(denylist.refuses(token({ iat: now + 30, origin_jti: "sign-in-1" }))).toBe(true);
    expect(denylist.refuses(token({ iat: now, origin_jti: "sign-in-2", jti: "a1" }))).toBe(false);
    expect(await denylist.revoke({ jti: "lone" }, 60)).toBe(true);
    expect(denylist.refuses(token({ iat: now, jti: "lone" }))).toBe(true);
    expect(denylist.refuses(token({ iat: now, jti: "other" }))).toBe(false);
    // Nothing names the session: nothing to refuse it by.
    expect(await denylist.revoke({}, 60)).toBe(false);
    expect(await denylist.revoke({ jti: 7 as never }, 60)).toBe(false);
    // An origin_jti that is not a string names nothing: the token's own jti stands in.
    expect(await denylist.revoke({ origin_jti: 7 as never, jti: "by-jti" }, 60)).toBe(true);
    expect(denylist.refuses(token({ iat: now, jti: "by-jti" }))).toBe(true);
    expect(denylist.refuses(token({ iat: now, origin_jti: 7 as never }))).toBe(false);
    vi.setSystemTime((now + 1 + 60) * 1000);
    expect(denylist.refuses(token({ iat: now, origin_jti: "sign-in-1" }))).toBe(false);
  });

  it("ignores values in the store it cannot read, never throwing", async () => {
    const now = frozen();
    const store = new MemoryStore();
    for (const [key, value] of [
      ["nbf:alice", "soon"],
      ["nbf:bob", `${now + 1}`],
      ["revoked:x", "-1"],
      ["revoked:y", "1e99"],
      ["revoked:z", ""],
    ]) {
      await store.set(key!, value!, 60_000);
    }
    const denylist = new Denylist(store);
    await denylist.ready();
    expect(denylist.size).toBe(0);
    expect(denylist.refuses(token({ iat: now, origin_jti: "x", jti: "y" }))).toBe(false);
  });

  it("drops lapsed entries once it has grown, so users never seen again do not stay", async () => {
    const now = frozen();
    const denylist = new Denylist(new MemoryStore());
    for (let i = 0; i < 600; i++) await denylist.revoke({ origin_jti: `old-${i}` }, 10);
    for (let i = 0; i < 400; i++) await denylist.signOut(`old-user-${i}`, 10);
    vi.setSystemTime((now + 60) * 1000);
    for (let i = 0; i < 30; i++) await denylist.revoke({ origin_jti: `new-${i}` }, 600);
    expect(denylist.size).toBe(30);
    expect(denylist.refuses(token({ iat: now, origin_jti: "new-3" }))).toBe(true);
  });
});
