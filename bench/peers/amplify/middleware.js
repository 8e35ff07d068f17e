// The Amplify adapter's documented middleware: protect /dashboard with fetchAuthSession.
// Placeholder pool values: this app is built to measure its middleware bundle, never run.
import { createServerRunner } from "@aws-amplify/adapter-nextjs";
import { fetchAuthSession } from "aws-amplify/auth/server";
import { NextResponse } from "next/server";

const { runWithAmplifyServerContext } = createServerRunner({
  config: { Auth: { Cognito: { userPoolId: "us-east-1_BenchPool1", userPoolClientId: "5bench0client0id0for0peers0" } } },
});

export async function middleware(request) {
  const response = NextResponse.next();
  if (!request.nextUrl.pathname.startsWith("/dashboard")) return response;
  const authenticated = await runWithAmplifyServerContext({
    nextServerContext: { request, response },
    operation: async (contextSpec) => {
      try {
        return (await fetchAuthSession(contextSpec)).tokens !== undefined;
      } catch {
        return false;
      }
    },
  });
  return authenticated ? response : NextResponse.redirect(new URL("/sign-in", request.url));
}

export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"] };
