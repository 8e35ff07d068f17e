// The example's /files server action, tested the way an app tests its own code with
// `next-cognito-session/testing`: a test issuer, the identity pool double, no AWS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityEnv, runAs, startTestIdentityPool, startTestIssuer, type TestIdentityPool, type TestIssuer, testEnv } from "next-cognito-session/testing";

let issuer: TestIssuer;
let pool: TestIdentityPool;
let auth: typeof import("../app-example/auth.ts").auth;
let signUpload: typeof import("../app-example/app/files/actions.ts").signUpload;

beforeAll(async () => {
  issuer = await startTestIssuer();
  pool = await startTestIdentityPool({ providers: [{ issuer: issuer.issuer, clientIds: [issuer.clientId] }] });
  // The example reads its configuration from the environment when imported.
  Object.assign(process.env, testEnv(issuer), identityEnv(pool), { S3_BUCKET: "uploads", S3_ENDPOINT: "http://127.0.0.1:9", S3_REGION: "us-east-1" });
  ({ auth } = await import("../app-example/auth.ts"));
  ({ signUpload } = await import("../app-example/app/files/actions.ts"));
});
afterAll(async () => {
  await pool.close();
  await issuer.close();
});

describe("/files: signUpload", () => {
  it("signs a PUT of the named file under private/<the user's identity>/, for five minutes, without the secret key", async () => {
    const ticket = await runAs(auth, issuer, { sub: "uploader" }, () => signUpload("report 2026.pdf"));
    if ("error" in ticket) throw new Error(ticket.error);
    const identityId = pool.identityOf(issuer.issuer.replace(/^https?:\/\//, ""), "uploader")!;
    expect(ticket.key).toBe(`private/${identityId}/report 2026.pdf`);
    const url = new URL(ticket.url);
    expect(decodeURIComponent(url.pathname)).toBe(`/uploads/${ticket.key}`);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("300");
    const issued = [...pool.issued.values()].find((c) => c.identityId === identityId)!;
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^ASIA/);
    expect(ticket.url).not.toContain(issued.secretAccessKey);
    expect(ticket.url).not.toContain(encodeURIComponent(issued.secretAccessKey));
  });

  it("refuses a name that could leave the user's prefix or is not a plain file name", async () => {
    for (const name of ["../bob/x", "a/b", ".hidden", "", "x".repeat(101), 42, null]) {
      const ticket = await runAs(auth, issuer, { sub: "uploader" }, () => signUpload(name));
      expect(ticket).toEqual({ error: expect.any(String) });
    }
  });
});
