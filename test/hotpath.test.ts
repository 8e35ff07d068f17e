// Reading chunked cookies: the chunk count is checked by character, and anything but
// "<1–5>~" in front of the first chunk is malformed.
import { describe, expect, it } from "vitest";
import { MALFORMED, readChunked } from "../src/cookies/jar.ts";

describe("readChunked, the count checked by character", () => {
  it.each([
    ["a zero count", "0~abc"],
    ["no tilde", "2abc"],
    ["a letter for a count", "a~abc"],
    ["an empty first chunk", ""],
    ["a count alone", "1"],
  ])("reads %s as malformed", (_, first) => {
    expect(readChunked(new Map([["c.0", [first]], ["c.1", ["x"]]]), "c")).toBe(MALFORMED);
  });

  it("reads a valid count", () => {
    expect(readChunked(new Map([["c.0", ["2~ab~c"]], ["c.1", ["de"]]]), "c")).toBe("ab~cde");
    expect(readChunked(new Map([["c.0", ["1~"]]]), "c")).toBe("");
  });
});
