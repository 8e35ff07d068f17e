// The codes feed reads the codes cognito-local 5.3.0 delivers from its log, as it writes them.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodeFeed, type DeliveredCode } from "../scripts/cognito-local.mjs";

/** A delivery as cognito-local's console sender logs it through pino-pretty (colours included). */
const box = (action: string, username: string, destination: string, code: string) =>
  `[1795996277808] \u001b[32mINFO\u001b[39m: \u001b[36me2c6f571 ${action} ╭──────────────╮\n│                                │\n│   Confirmation Code Delivery   │\n│                                │\n│   Username:    ${username}   │\n│   Destination: ${destination}   │\n│   Code:        ${code}   │\n│                                │\n╰──────────────╯\u001b[39m \u001b[90m{"reqId":"e2c6f571","target":"${action}"}\u001b[39m\n`;
const other =
  '[1795996277989] \u001b[33mWARN\u001b[39m: \u001b[36m8a1ec945 NONE Error handling target: SignUp\u001b[39m\n    err: {\n      "type": "UsernameExistsError"\n    }\n';

const LOG = [
  box("SignUp", "sub-1", "ada@example.com", "111111"),
  other,
  box("ForgotPassword", "sub-1", "ada@example.com", "222222"),
  box("InitiateAuth", "sub-2", "+15555550100", "333333"),
  box("UpdateUserAttributes", "sub-1", "new@example.com", "444444"),
].join("");

const EXPECTED: DeliveredCode[] = [
  { action: "SignUp", kind: "sign-up", username: "sub-1", destination: "ada@example.com", code: "111111" },
  { action: "ForgotPassword", kind: "forgot-password", username: "sub-1", destination: "ada@example.com", code: "222222" },
  { action: "InitiateAuth", kind: "mfa", username: "sub-2", destination: "+15555550100", code: "333333" },
  { action: "UpdateUserAttributes", kind: "attribute", username: "sub-1", destination: "new@example.com", code: "444444" },
];

describe("codes feed", () => {
  it("property: however the output is cut into chunks, every delivery is read once, in order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: LOG.length - 1 }), { maxLength: 40 }), (cuts) => {
        const feed = new CodeFeed();
        const seen: DeliveredCode[] = [];
        feed.subscribe((entry) => seen.push(entry));
        const points = [0, ...cuts.sort((a, b) => a - b), LOG.length];
        for (let i = 1; i < points.length; i++) feed.write(LOG.slice(points[i - 1], points[i]));
        expect(seen).toEqual(EXPECTED);
      }),
      { numRuns: 300 },
    );
  });

  it("hands the oldest code not yet taken, by username or destination, of the kind asked for", async () => {
    const feed = new CodeFeed();
    feed.write(LOG);
    expect(await feed.nextCode({ username: "ada@example.com", kind: "forgot-password" })).toBe("222222");
    expect(await feed.nextCode({ username: "ada@example.com" })).toBe("111111");
    expect(await feed.nextCode({ username: "sub-2", kind: "mfa" })).toBe("333333");
    await expect(feed.nextCode({ username: "ada@example.com", timeoutMs: 20 })).rejects.toThrow(/no +code for ada@example.com/);
  });

  it("waits for a code that has not come yet, and leaves other users' codes queued", async () => {
    const feed = new CodeFeed();
    const waiting = feed.nextCode({ username: "new@example.com", kind: "attribute" });
    feed.write(box("SignUp", "sub-9", "eve@example.com", "999999"));
    feed.write(box("UpdateUserAttributes", "sub-1", "new@example.com", "444444"));
    expect(await waiting).toBe("444444");
    expect(await feed.nextCode({ username: "eve@example.com", kind: "sign-up" })).toBe("999999");
  });
});
