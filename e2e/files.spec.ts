import type { Page, Response } from "@playwright/test";
import { expect, signInHosted, test } from "./fixtures.ts";

/**
 * Everything the browser receives from now on, each response's URL, headers and body
 * (`settle()` waits for the bodies), and the presigned URLs it PUTs to.
 */
function recordResponses(page: Page): { settle: () => Promise<string>; uploadUrls: string[] } {
  const seen: Promise<string>[] = [];
  const uploadUrls: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "PUT" && request.url().includes("X-Amz-Signature")) uploadUrls.push(request.url());
  });
  page.on("response", (response: Response) => {
    seen.push(
      (async () => {
        const headers = JSON.stringify(await response.allHeaders());
        // Redirects have no body to read.
        const body = await response.text().catch(() => "");
        return `${response.url()}\n${headers}\n${body}`;
      })(),
    );
  });
  return { settle: async () => (await Promise.all(seen)).join("\n"), uploadUrls };
}

test("alice uploads a file straight to S3 and lists it; bob does not see it; no AWS secret reaches the browser", async ({ page, browser, example }) => {
  const record = recordResponses(page);
  await page.goto(`${example.baseURL}/files`);
  await expect(page).toHaveURL(/\/oauth2\/authorize\?/);
  await signInHosted(page, example, "alice@example.com", "/files");
  await expect(page.getByText("No files yet.")).toBeVisible();

  await page.getByTestId("file").setInputFiles({ name: "alice-notes.txt", mimeType: "text/plain", buffer: Buffer.from("alice's notes") });
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByTestId("upload-status")).toHaveText("Uploaded alice-notes.txt.");
  await expect(page.getByTestId("files")).toContainText("alice-notes.txt");
  // Listed again from S3 on a fresh load, not only the client's memory.
  await page.reload();
  await expect(page.getByTestId("files")).toHaveText("alice-notes.txt");

  // The object is where the key layout puts it: under alice's own identity.
  const pool = example.identityPool!;
  const aliceIdentities = [...pool.issued.values()].filter((c) => c.authenticated).map((c) => c.identityId);
  expect(record.uploadUrls).toHaveLength(1);
  const uploaded = new URL(record.uploadUrls[0]!);
  expect(decodeURIComponent(uploaded.pathname)).toBe(`/${example.identity!.s3Bucket}/private/${aliceIdentities[0]}/alice-notes.txt`);

  // Bob, in a browser of his own, sees only his (none).
  const bobContext = await browser.newContext();
  const bob = await bobContext.newPage();
  await signInHosted(bob, example, "bob@example.com", "/files");
  await expect(bob.getByText("No files yet.")).toBeVisible();
  await expect(bob.getByTestId("files")).not.toContainText("alice-notes.txt");
  await bobContext.close();

  // One identity per user, and one GetCredentialsForIdentity per identity for all of this.
  expect(new Set([...pool.issued.values()].map((c) => c.identityId)).size).toBe(2);
  expect(pool.calls.GetCredentialsForIdentity).toBe(2);

  // Every cookie, header, HTML page, RSC payload, server action answer and script the
  // browser received: no secret key anywhere; the session token only inside the presigned
  // URL (X-Amz-Security-Token), which S3 needs and which signs nothing by itself.
  const cookies = JSON.stringify(await page.context().cookies());
  let received = `${await record.settle()}\n${cookies}`;
  expect(received).toContain("/_next/static/chunks/");
  for (const url of record.uploadUrls) {
    // The action's answer carries the URL as JSON text: take out each spelling of it.
    received = received.split(url).join("").split(JSON.stringify(url).slice(1, -1)).join("");
  }
  for (const credentials of pool.issued.values()) {
    for (const secret of [credentials.secretAccessKey, credentials.sessionToken]) {
      for (const spelling of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
        expect(received.includes(spelling)).toBe(false);
      }
    }
  }
});
