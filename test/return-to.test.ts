import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { returnToUrl, safeReturnTo } from "../src/lib/return-to.ts";
import { APP_URL, createTestApp, TestBrowser } from "./helpers/app.ts";
import { HOSTILE_RETURN_TO } from "./helpers/hostile-return-to.ts";

const app = new URL("https://app.example.com");

describe("safeReturnTo", () => {
  it.each(HOSTILE_RETURN_TO.map((v) => [JSON.stringify(v).slice(0, 60), v]))("refuses %s", (_, value) => {
    expect(safeReturnTo(value, app)).toBe("/");
  });

  it("refuses a value that is not valid percent-encoding", () => {
    expect(safeReturnTo("/%E0%A4%A", app)).toBe("/");
    expect(safeReturnTo("/%zz", app)).toBe("/");
  });

  it("refuses a missing value", () => {
    expect(safeReturnTo(null, app)).toBe("/");
    expect(safeReturnTo(undefined, app)).toBe("/");
  });

  it.each([
    ["/dashboard", "/dashboard"],
    ["/dashboard?tab=orders&x=1#top", "/dashboard?tab=orders&x=1#top"],
    ["/a/b/../c", "/a/c"],
    ["/caf%C3%A9", "/caf%C3%A9"],
    ["/search?q=a%2Fb", "/search?q=a%2Fb"],
  ])("keeps the same-origin path %s", (value, expected) => {
    expect(safeReturnTo(value, app)).toBe(expected);
  });

  it("keeps a value just under the length limit and refuses one just over it", () => {
    const ok = `/${"a".repeat(2047)}`;
    expect(safeReturnTo(ok, app)).toBe(ok);
    expect(safeReturnTo(`${ok}a`, app)).toBe("/");
  });

  it("builds the redirect on the app's origin whatever the path looks like", () => {
    expect(returnToUrl("/dashboard?x=1", app).href).toBe("https://app.example.com/dashboard?x=1");
    // Even a path that slipped past the check could not name another host.
    expect(returnToUrl("//evil.example", app).origin).toBe("https://app.example.com");
  });
});

describe("safeReturnTo, generated", () => {
  // What makes a returnTo hostile: separators raw and encoded, schemes and hosts, dot
  // segments raw and encoded, control characters and whitespace, unicode look-alikes,
  // broken and double percent-encoding.
  const PIECES = [
    "/",
    "//",
    "\\",
    "%2F",
    "%2f",
    "%5C",
    "%5c",
    ".",
    "..",
    "%2e",
    "%2E%2e",
    ":",
    "http:",
    "https:",
    "javascript:",
    "evil.example",
    "@",
    "?",
    "#",
    "&",
    "=",
    "%",
    "%zz",
    "%0d%0a",
    "\r",
    "\n",
    "\t",
    " ",
    "\u0000",
    "\u007f",
    "\u00a0",
    "\u2028",
    "\uff0f",
    "\u3002",
    "é",
    "%C3%A9",
    "%E0%A4%A",
    "%09",
    "%00",
    "%252F",
    "a",
    "dashboard",
  ];
  const pieces = fc.array(fc.constantFrom(...PIECES), { maxLength: 10 }).map((p) => p.join(""));
  const values = fc.oneof(
    pieces,
    pieces.map((p) => `/${p}`),
    fc.string({ unit: "binary", maxLength: 30 }),
  );
  const elsewhere = new URL("https://evil.example");

  it("property: the result is always a same-origin path starting with a single / (never //, /\\, an absolute URL or a control character, decoded or not), and resolving it against APP_URL keeps the origin", () => {
    let kept = 0;
    fc.assert(
      fc.property(values, (value) => {
        const result = safeReturnTo(value, app);
        if (result !== "/") kept++;
        expect(result.startsWith("/")).toBe(true);
        expect(result.startsWith("//") || result.startsWith("/\\")).toBe(false);
        expect(result).not.toMatch(/[\u0000-\u0020\u007f\\]/);
        // Nor once decoded, for a server or proxy that decodes before it routes.
        expect(decodeURIComponent(result)).not.toMatch(/^\/[/\\]|[\u0000-\u001f\u007f]/);
        expect(URL.canParse(result)).toBe(false);
        expect(new URL(result, app).origin).toBe(app.origin);
        expect(new URL(result, app).pathname.startsWith("//")).toBe(false);
        // Wherever it is resolved, it stays on that origin: it names no host of its own.
        expect(new URL(result, elsewhere).origin).toBe(elsewhere.origin);
        expect(returnToUrl(value, app).origin).toBe(app.origin);
      }),
      { numRuns: 3000 },
    );
    // Not only refusals: a good share of the generated values are kept, in some form.
    expect(kept).toBeGreaterThan(50);
  });

  it("property: a result is a fixed point (safeReturnTo keeps what it returned)", () => {
    fc.assert(
      fc.property(values, (value) => {
        const result = safeReturnTo(value, app);
        expect(safeReturnTo(result, app)).toBe(result);
      }),
      { numRuns: 2000 },
    );
  });

  it("property: a same-origin path of plain segments, query and fragment is kept as is", () => {
    const word = fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}$/);
    const paths = fc
      .record({
        segments: fc.array(word, { minLength: 1, maxLength: 5 }),
        query: fc.option(fc.array(fc.tuple(word, word), { minLength: 1, maxLength: 3 }), { nil: undefined }),
        fragment: fc.option(word, { nil: undefined }),
      })
      .map(({ segments, query, fragment }) => {
        const search = query ? `?${query.map(([k, v]) => `${k}=${v}`).join("&")}` : "";
        return `/${segments.join("/")}${search}${fragment ? `#${fragment}` : ""}`;
      });
    fc.assert(
      fc.property(paths, (path) => {
        expect(safeReturnTo(path, app)).toBe(path);
      }),
      { numRuns: 500 },
    );
  });
});

describe("returnTo through the hosted-UI sign-in (embedded Cognito)", () => {
  it("lands on the asked-for page, query and all", async () => {
    const browser = new TestBrowser(createTestApp());
    const callback = await browser.signIn("bob@example.com", undefined, "/dashboard?tab=orders");
    expect(callback.headers.get("location")).toBe(`${APP_URL}/dashboard?tab=orders`);
  });

  it.each(["https://evil.example", "//evil.example", "/\\evil.example", "/%2F%2Fevil.example", "/.//evil.example", "/\r\nx"])(
    "lands on / for %j",
    async (hostile) => {
      const browser = new TestBrowser(createTestApp());
      const callback = await browser.signIn("bob@example.com", undefined, hostile);
      expect(callback.status).toBe(302);
      expect(callback.headers.get("location")).toBe(`${APP_URL}/`);
    },
  );
});
