import type { ReactNode } from "react";
import "./globals.css";

export const metadata = { title: "next-cognito-session example" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <nav>
          <a href="/">Home</a>
          <a href="/dashboard">Dashboard</a>
          <a href="/admin">Admin</a>
          <a href="/account">Account</a>
          <a href="/sign-up">Sign up</a>
        </nav>
        {children}
      </body>
    </html>
  );
}
