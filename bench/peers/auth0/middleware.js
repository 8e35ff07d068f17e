// Auth0 v4's documented middleware: mount /auth/*, roll the session, protect /dashboard.
// Placeholder tenant values: this app is built to measure its middleware bundle, never run.
import { Auth0Client } from "@auth0/nextjs-auth0/server";
import { NextResponse } from "next/server";

const auth0 = new Auth0Client({
  domain: "bench.auth0.invalid",
  clientId: "5bench0client0id0for0peers0",
  clientSecret: "bench-client-secret",
  secret: "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
  appBaseUrl: "http://localhost:3000",
});

export async function middleware(request) {
  const response = await auth0.middleware(request);
  if (!request.nextUrl.pathname.startsWith("/dashboard")) return response;
  return (await auth0.getSession(request)) ? response : NextResponse.redirect(new URL("/auth/login", request.nextUrl.origin));
}

export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"] };
