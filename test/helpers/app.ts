import { NextRequest } from "next/server";
import { inject } from "vitest";
import { envFor } from "../../scripts/cognito-local.mjs";
import { type CognitoSessionOptions, createCognitoSession } from "../../src/index.ts";

export const APP_URL = "http://localhost:3000";
export const SECRET = "test-secret-0123456789-abcdefghijklmnop";

/** The options of an app configured against the run's embedded Cognito, as the example app is. */
export function testAppOptions(options: CognitoSessionOptions = {}): CognitoSessionOptions {
  const info = inject("cognito");
  return {
    protect: { "/dashboard/:path*": {}, "/admin/:path*": { groups: ["admins"] } },
    dev: { allowMissingNonce: true },
    ...options,
    env: { ...envFor(info as never, APP_URL), SESSION_SECRET: SECRET, ...options.env },
  };
}

/** An app configured against the run's embedded Cognito, as the example app is. */
export function createTestApp(options: CognitoSessionOptions = {}) {
  return createCognitoSession(testAppOptions(options));
}

type App = ReturnType<typeof createTestApp>;
type Handler = (request: Request, context: unknown) => Response | Promise<Response>;

/**
 * A cookie-keeping client that sends requests through the app's middleware and, when the
 * middleware lets a request through, to the route handler registered for the path, with
 * the request headers the middleware handed on, exactly as Next does.
 */
export class TestBrowser<A extends { middleware: (request: NextRequest) => Promise<Response> } = App> {
  readonly cookies = new Map<string, string>();
  readonly routes = new Map<string, Handler>();

  /** Only `middleware` is used: `createCognitoMiddleware`'s result, composed or not, fits as `{ middleware }`. */
  constructor(readonly app: A) {}

  cookieHeader(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join("; ");
  }

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      if (/max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1));
    }
  }

  async fetch(path: string, init: Omit<RequestInit, "headers"> & { headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(path, APP_URL);
    const headers: Record<string, string> = { accept: "text/html", ...init.headers };
    if (this.cookies.size > 0 && !("cookie" in headers)) headers.cookie = this.cookieHeader();
    const request = new NextRequest(url, { ...init, headers } as ConstructorParameters<typeof NextRequest>[1]);
    let response = await this.app.middleware(request);
    if (response.headers.get("x-middleware-next") === "1") {
      const handler = this.routes.get(url.pathname);
      if (handler) {
        const forwarded = forwardedHeaders(headers, response);
        const downstream = await handler(new Request(url, { ...init, headers: forwarded }), {});
        for (const line of response.headers.getSetCookie()) downstream.headers.append("set-cookie", line);
        // Like Next: the middleware's other response headers apply unless the handler sets its own.
        response.headers.forEach((value, name) => {
          if (name === "set-cookie" || name.startsWith("x-middleware-") || downstream.headers.has(name)) return;
          downstream.headers.set(name, value);
        });
        response = downstream;
      }
    }
    this.store(response);
    return response;
  }

  /** Sign in through the embedded Cognito's hosted login page. Returns the callback response. */
  async signIn(email: string, password = inject("cognito").password, returnTo = "/dashboard"): Promise<Response> {
    const start = await this.fetch(`/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
    const authorize = start.headers.get("location")!;
    const form = await (await fetch(authorize)).text();
    const fields = Object.fromEntries([...form.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const login = await fetch(new URL("/oauth2/authorize", authorize), {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ ...fields, username: email, password }),
    });
    const callback = login.headers.get("location");
    if (!callback) throw new Error(`hosted login refused: ${login.status}`);
    const url = new URL(callback);
    return this.fetch(`${url.pathname}${url.search}`);
  }
}

/**
 * The request headers a route handler gets after `middleware` answered, as Next's router
 * makes them: when the middleware names request headers (`NextResponse.next({ request:
 * { headers } })`), exactly those; otherwise the browser's own.
 */
function forwardedHeaders(sent: Record<string, string>, middleware: Response): Headers {
  const named = middleware.headers.get("x-middleware-override-headers");
  if (named === null) return new Headers(sent);
  const forwarded = new Headers();
  for (const name of named.split(",").map((n) => n.trim())) {
    const value = middleware.headers.get(`x-middleware-request-${name}`);
    if (value !== null) forwarded.set(name, value);
  }
  return forwarded;
}
