import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENTRY_OVERHEAD, Lru, own } from "../src/lib/lru.ts";

const tail = "S".repeat(40);

describe("Lru", () => {
  it("keeps at most max entries, dropping the least recently used", () => {
    const lru = new Lru<string, number>(2, Infinity);
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
    const lru = new Lru<string, string>(10, Infinity);
    lru.set(`header.payload-of-alice.${tail}`, "alice");
    expect(lru.get(`header.payload-of-mallory.${tail}`)).toBeUndefined();
    lru.delete(`header.payload-of-mallory.${tail}`);
    expect(lru.get(`header.payload-of-alice.${tail}`)).toBe("alice");
  });

  it("finds a key rebuilt from pieces, as a chunked cookie is", () => {
    const lru = new Lru<string, string>(10, Infinity);
    const key = `${"x".repeat(3000)}.${tail}`;
    lru.set(key, "v");
    expect(lru.get(key.slice(0, 1500) + key.slice(1500))).toBe("v");
  });

  it("stores nothing with max 0, and deletes", () => {
    const none = new Lru<string, number>(0, Infinity);
    none.set("k", 1);
    expect(none.size).toBe(0);
    const lru = new Lru<string, number>(3, Infinity);
    lru.set("short", 1);
    lru.delete("short");
    expect(lru.get("short")).toBeUndefined();
  });
});

describe("Lru, bounded in bytes", () => {
  const key = (name: string, length: number) => `${name.repeat(length)}${tail}${name}`;
  const weight = (k: string, valueBytes: number) => k.length + valueBytes + ENTRY_OVERHEAD;

  it("counts each entry's key, value and overhead, and drops the oldest to stay within its budget", () => {
    const a = key("a", 1_000);
    const b = key("b", 1_000);
    const c = key("c", 1_000);
    const lru = new Lru<string, string>(100, weight(a, 500) * 2);
    lru.set(a, "A", 500);
    lru.set(b, "B", 500);
    expect(lru.bytes).toBe(weight(a, 500) + weight(b, 500));
    lru.set(c, "C", 500);
    expect(lru.size).toBe(2);
    expect(lru.get(a)).toBeUndefined();
    expect([lru.get(b), lru.get(c)]).toEqual(["B", "C"]);
    lru.delete(b);
    expect(lru.bytes).toBe(weight(c, 500));
    // Setting a key again replaces its entry and its weight.
    lru.set(c, "C2", 0);
    expect(lru.bytes).toBe(weight(c, 0));
  });

  it("keeps no entry that alone exceeds the budget, and a few large ones push out many small ones", () => {
    const lru = new Lru<string, number>(1_000, 10_000);
    for (let i = 0; i < 50; i++) lru.set(key(String.fromCharCode(65 + (i % 26)) + i, 1), i);
    expect(lru.size).toBe(50);
    lru.set(key("h", 20_000), -1);
    expect(lru.get(key("h", 20_000))).toBeUndefined();
    lru.set(key("g", 9_000), -2);
    expect(lru.get(key("g", 9_000))).toBe(-2);
    expect(lru.size).toBeLessThan(10);
    expect(lru.bytes).toBeLessThanOrEqual(10_000);
  });

  it("property: within the budget after every step, the entry just set is present, and a key only ever answers with its own value", () => {
    // Keys end in one of a few tails, so entries share an index and replace each other too.
    const keyArb = fc
      .tuple(fc.constantFrom("a", "b", "c"), fc.integer({ min: 0, max: 6_000 }), fc.constantFrom("T1", "T2", "T3", "T4"))
      .map(([head, length, end]) => `${head.repeat(length)}${tail.slice(2)}${end}`);
    const op = fc.oneof(fc.record({ set: keyArb, valueBytes: fc.integer({ min: 0, max: 8_000 }) }), fc.record({ get: keyArb }), fc.record({ delete: keyArb }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1_000, max: 40_000 }), fc.array(op, { maxLength: 80 }), (max, maxBytes, ops) => {
        const lru = new Lru<string, number>(max, maxBytes);
        // The oracle: what was last set under each exact key (a plain Map, hashing whole keys).
        const model = new Map<string, { value: number; bytes: number }>();
        let serial = 0;
        for (const step of ops) {
          if ("set" in step) {
            const value = serial++;
            lru.set(step.set, value, step.valueBytes);
            model.set(step.set, { value, bytes: weight(step.set, step.valueBytes) });
            if (weight(step.set, step.valueBytes) <= maxBytes) expect(lru.get(step.set)).toBe(value);
            else expect(lru.get(step.set)).toBeUndefined();
          } else if ("get" in step) {
            const got = lru.get(step.get);
            if (got !== undefined) expect(got).toBe(model.get(step.get)?.value);
          } else {
            lru.delete(step.delete);
            model.delete(step.delete);
            expect(lru.get(step.delete)).toBeUndefined();
          }
          expect(lru.bytes).toBeLessThanOrEqual(maxBytes);
          expect(lru.size).toBeLessThanOrEqual(max);
        }
        // The budget, counted independently: the entries that answer, at the weight they were set with.
        let present = 0;
        let count = 0;
        for (const [k, { value, bytes }] of model) {
          if (lru.get(k) === value) {
            present += bytes;
            count++;
          }
        }
        expect(count).toBe(lru.size);
        expect(present).toBe(lru.bytes);
      }),
      { numRuns: 300 },
    );
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
