// Auth.js v5's documented middleware with the Cognito provider: protect /dashboard.
// Placeholder pool values: this app is built to measure its middleware bundle, never run.
import NextAuth from "next-auth";
import Cognito from "next-auth/providers/cognito";
import { NextResponse } from "next/server";

const { auth } = NextAuth({
  providers: [
    Cognito({
      clientId: "5bench0client0id0for0peers0",
      clientSecret: "bench-client-secret",
      issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BenchPool1",
    }),
  ],
  secret: "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
  trustHost: true,
});

export const middleware = auth((request) => {
  if (!request.auth && request.nextUrl.pathname.startsWith("/dashboard")) {
    return NextResponse.redirect(new URL("/api/auth/signin", request.nextUrl.origin));
  }
});

export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"] };
