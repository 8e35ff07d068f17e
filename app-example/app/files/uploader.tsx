"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { signUpload } from "./actions";

/** Picks a file, asks the server to sign its upload, and PUTs it straight to S3. */
export function Uploader() {
  const router = useRouter();
  const [status, setStatus] = useState("");
  async function upload(form: FormData) {
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) return setStatus("Choose a file first.");
    setStatus("Uploading…");
    const ticket = await signUpload(file.name);
    if ("error" in ticket) return setStatus(ticket.error);
    const response = await fetch(ticket.url, { method: "PUT", body: file });
    setStatus(response.ok ? `Uploaded ${file.name}.` : `The upload failed (${response.status}).`);
    router.refresh();
  }
  return (
    <form action={upload}>
      <input type="file" name="file" data-testid="file" />
      <button type="submit">Upload</button>
      <p role="status" data-testid="upload-status">
        {status}
      </p>
    </form>
  );
}
