import type { ReactNode } from "react";
import { SessionProvider } from "next-cognito-session/client";
import { auth } from "../auth";
import "./globals.css";

export const metadata = { title: "next-cognito-session example" };

export default async function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <nav>
          <a href="/">Home</a>
          <a href="/dashboard">Dashboard</a>
          <a href="/admin">Admin</a>
          <a href="/files">Files</a>
          <a href="/account">Account</a>
          <a href="/sign-up">Sign up</a>
        </nav>
        {/* Filled on the server: client components below have the session at their first render, with no token in it. */}
        <SessionProvider session={await auth.getClientSession()}>{children}</SessionProvider>
      </body>
    </html>
  );
}
