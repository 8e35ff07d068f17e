import type { ReactNode } from "react";
import { SessionProvider } from "next-cognito-session/client";
import { auth } from "../auth";

export const metadata = { title: "next-cognito-session example" };

export default async function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", maxWidth: 720, margin: "2rem auto", padding: "0 1rem" }}>
        <nav style={{ display: "flex", gap: "1rem", marginBottom: "2rem" }}>
          <a href="/">Home</a>
          <a href="/dashboard">Dashboard</a>
          <a href="/admin">Admin</a>
          <a href="/files">Files</a>
        </nav>
        {/* Filled on the server: client components below have the session at their first render, with no token in it. */}
        <SessionProvider session={await auth.getClientSession()}>{children}</SessionProvider>
      </body>
    </html>
  );
}
