import { describe, expect, it } from "vitest";
import { Lru, own } from "../src/verify/lru.ts";

const tail = "S".repeat(40);

describe("Lru", () => {
  it("keeps at most max entries, dropping the least recently used", () => {
    const lru = new Lru<string, number>(2);
    lru.set(`a${tail}1`, 1);
    lru.set(`b${tail}2`, 2);
    expect(lru.get(`a${tail}1`)).toBe(1); // a is now the most recent
    lru.set(`c${tail}3`, 3);
    expect(lru.size).toBe(2);
    expect(lru.get(`b${tail}2`)).toBeUndefined();
    expect(lru.get(`a${tail}1`)).toBe(1);
    expect(lru.get(`c${tail}3`)).toBe(3);
  });

  it("never answers for a different key that ends the same way", () => {
    const lru = new Lru<string, string>(10);
    lru.set(`header.payload-of-alice.${tail}`, "alice");
    expect(lru.get(`header.payload-of-mallory.${tail}`)).toBeUndefined();
    lru.delete(`header.payload-of-mallory.${tail}`);
    expect(lru.get(`header.payload-of-alice.${tail}`)).toBe("alice");
  });

  it("finds a key rebuilt from pieces, as a chunked cookie is", () => {
    const lru = new Lru<string, string>(10);
    const key = `${"x".repeat(3000)}.${tail}`;
    lru.set(key, "v");
    expect(lru.get(key.slice(0, 1500) + key.slice(1500))).toBe("v");
  });

  it("stores nothing with max 0, and deletes", () => {
    const none = new Lru<string, number>(0);
    none.set("k", 1);
    expect(none.size).toBe(0);
    const lru = new Lru<string, number>(3);
    lru.set("short", 1);
    lru.delete("short");
    expect(lru.get("short")).toBeUndefined();
  });
});

describe("own", () => {
  it("copies every string exactly: any length, one-byte and two-byte, a surrogate pair cut at the half", () => {
    const samples: string[] = [];
    for (let length = 0; length <= 30; length++) {
      samples.push("x".repeat(length), "é".repeat(length), "€".repeat(length));
    }
    // 14 characters: the half falls between the two halves of the emoji's surrogate pair.
    samples.push(`abcdef😀ghijkl`, `${"a".repeat(1_000)}😀`, "\u0000".repeat(20));
    for (const text of samples) {
      const parent = `[${text}]`;
      const copy = own(parent.slice(1, -1));
      expect(copy).toBe(text);
      expect(copy.length).toBe(text.length);
    }
  });
});
