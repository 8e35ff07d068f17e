import { describe, expect, it } from "vitest";
import { Secret } from "../src/config/secret.ts";
import { Sealer } from "../src/persistence/seal.ts";
import { sealedPart, type StoredTokens } from "../src/persistence/tokens.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { SharedRefresh } from "../src/session/shared-refresh.ts";
import { keyOf } from "../src/store/store.ts";

const sealer = new Sealer([new Secret("shared-refresh-test-secret-0123456789")]);
const tokens: StoredTokens = { accessToken: "a.b.c", idToken: undefined, refreshToken: "r", endsAt: 2_000_000_000 };

describe("one refresh across instances", () => {
  it("reuses a result that landed between its last look and its taking the lock", async () => {
    const store = new MemoryStore();
    // Another instance refreshed, stored its result and released the lock...
    await store.set(`refresh:done:${await keyOf("r")}`, await sealer.seal("refresh-result", { a: tokens.accessToken, ...sealedPart(tokens) }, 10), 10_000);
    // ...just after this instance looked for a result and found none.
    const get = store.get.bind(store);
    let looks = 0;
    store.get = (key) => (looks++ === 0 ? Promise.resolve(undefined) : get(key));

    let redeemed = 0;
    const shared = new SharedRefresh(store, sealer, 1_000, 10_000, async () => true);
    const result = await shared.refresh("r", async () => {
      redeemed++;
      return tokens;
    });
    expect(redeemed).toBe(0);
    expect(result).toEqual(tokens);
  });
});

describe("a stored refresh result", () => {
  it("that is not a token set with its access token is not taken: this instance redeems on its own", async () => {
    const store = new MemoryStore();
    await store.set(`refresh:done:${await keyOf("r2")}`, await sealer.seal("refresh-result", sealedPart(tokens), 10), 10_000);
    let redeemed = 0;
    const shared = new SharedRefresh(store, sealer, 1_000, 10_000, async () => true);
    const result = await shared.refresh("r2", async () => {
      redeemed++;
      return tokens;
    });
    expect(redeemed).toBe(1);
    expect(result).toEqual(tokens);
  });
});
