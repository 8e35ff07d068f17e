// The library's spans in a real Next server: the example app built with an instrumentation.ts
// that registers the OpenTelemetry SDK (as @vercel/otel or the Node SDK would), signed in to
// through the hosted UI, its dashboard and API read. Every span of the library must sit in a
// trace Next started, under one of Next's own spans, and carry no token.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { signInHosted } from "./fixtures.ts";
import { type RunningExample, startExample } from "./support/example-app.ts";
import type { WrittenSpan } from "./support/traced-app.ts";

let example: RunningExample | undefined;
let dir = "";
let file = "";

test.beforeAll(async () => {
  test.setTimeout(600_000);
  dir = mkdtempSync(join(tmpdir(), "ncs-spans-"));
  file = join(dir, "spans.jsonl");
  example = await startExample({ variant: "traced", env: { NCS_SPANS_FILE: file } });
});

test.afterAll(async () => {
  await example?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const spans = (): WrittenSpan[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as WrittenSpan);

test("the library's spans nest under Next's request spans, and carry no token", async ({ page }) => {
  await signInHosted(page, example!, "alice@example.com");
  await expect(page.getByTestId("email")).toHaveText("alice@example.com");
  expect((await page.request.get(`${example!.baseURL}/api/me`)).status()).toBe(200);
  const cookies = (await page.context().cookies()).filter((c) => c.name.startsWith("__Host-ncs"));

  // Spans are written as they end; the last request's may still be on its way.
  await expect.poll(() => spans().some((s) => s.name === "cognito /oauth2/token")).toBe(true);
  const all = spans();
  const byId = new Map(all.map((s) => [s.spanId, s]));
  const ours = all.filter((s) => s.name.startsWith("ncs.") || s.name.startsWith("cognito ") || s.name.startsWith("CognitoIdentityProvider/"));
  expect(ours.map((s) => s.name)).toEqual(expect.arrayContaining(["cognito /oauth2/token", "ncs.verify"]));
  for (const span of ours) {
    // Up the parents to the root: a span Next made (it marks its own with next.span_type).
    const ancestors: WrittenSpan[] = [];
    for (let s = byId.get(span.parent ?? ""); s !== undefined; s = byId.get(s.parent ?? "")) ancestors.push(s);
    expect(ancestors.length, `${span.name} has no parent`).toBeGreaterThan(0);
    expect(
      ancestors.some((s) => typeof s.attributes["next.span_type"] === "string"),
      `${span.name} is not under a span of Next's: ${ancestors.map((s) => s.name).join(" < ")}`,
    ).toBe(true);
  }
  const text = JSON.stringify(all);
  for (const cookie of cookies) expect(text).not.toContain(cookie.value);
  expect(text).not.toMatch(/eyJ[\w-]{8,}/);
});
