import { describe, expect, it } from "vitest";
import { returnToUrl, safeReturnTo } from "../src/flows/return-to.ts";
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

describe("returnTo through the hosted-UI sign-in (embedded Cognito)", () => {
  it("lands on the asked-for page, query and all", async () => {
    const browser = new TestBrowser(createTestApp());
    const callback = await browser.signIn("bob@example.com", undefined, "/dashboard?tab=orders");
    expect(callback.headers.get("location")).toBe(`${APP_URL}/dashboard?tab=orders`);
  });

  it.each([
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "/%2F%2Fevil.example",
    "/.//evil.example",
    "/\r\nx",
  ])("lands on / for %j", async (hostile) => {
    const browser = new TestBrowser(createTestApp());
    const callback = await browser.signIn("bob@example.com", undefined, hostile);
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe(`${APP_URL}/`);
  });
});
