// The Pages Router: `auth.getServerSession(req, res)` for getServerSideProps and API routes,
// and `auth.withAuth(rule, handler)` for pages/api handlers, on Node's own
// IncomingMessage/ServerResponse (a real HTTP server). Answers are those route handlers
// give (oracle: the same rule as an App Router route handler), cookies go through `res`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import fc from "fast-check";
import type { NextApiRequest, NextApiResponse } from "next";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessRule } from "../src/index.ts";
import { REFRESH_FAILED_HEADER } from "../src/http/handoff.ts";
import { coreOf } from "../src/internal.ts";
import { APP_URL } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { freePort } from "./helpers/ports.ts";

const fake = useFakeCognito();
const now = () => Math.floor(Date.now() / 1000);

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;
let handler: NodeHandler = (_req, res) => res.end();
let server: Server;
let origin = "";
beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error) => {
      // A thrown handler is what Next answers with 500: the tests below never expect one.
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Send `path` to the server with `cookie`, running `serve` for it. */
async function call(serve: NodeHandler, headers: Record<string, string> = {}): Promise<Response> {
  handler = serve;
  return fetch(`${origin}/api/legacy`, { headers, redirect: "manual" });
}

const cookieOf = (cookies: Map<string, string>) => [...cookies].map(([n, v]) => `${n}=${v}`).join("; ");
const cleared = (response: Response) =>
  response.headers
    .getSetCookie()
    .filter((l) => /max-age=0/i.test(l))
    .map((l) => l.split("=")[0]!);

/** A signed-in cookie header whose access token has lapsed: the next read refreshes. */
async function lapsed(app: ReturnType<typeof fake.app>) {
  const { browser } = await fake.signedIn(app);
  const expired = await fake.sign({
    sub: "11111111-2222-3333-4444-555555555555",
    token_use: "access",
    client_id: fake.clientId,
    username: "alice",
    scope: "openid",
    iat: now() - 7200,
    exp: now() - 3600,
  });
  browser.cookies.set(coreOf(app).cookieNames.access, expired);
  return { cookie: cookieOf(browser.cookies), expired };
}

/** What a route handler with the same rule answers the same request: the oracle for headers and body. */
async function routeAnswer(app: ReturnType<typeof fake.app>, rule: Parameters<ReturnType<typeof fake.app>["withAuth"]>[0], cookie: string) {
  const response = await app.withAuth(rule, () => Response.json({ ok: true }))(new Request(`${APP_URL}/api/legacy`, { headers: { cookie } }), {});
  return { status: response.status, body: await response.text(), challenge: response.headers.get("www-authenticate") };
}

describe("getServerSession(req, res)", () => {
  it("reads the session from req's cookies", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const response = await call(
      async (req, res) => {
        const session = await app.getServerSession(req, res);
        res.end(JSON.stringify({ email: session?.user?.email ?? null }));
      },
      { cookie: cookieOf(browser.cookies) },
    );
    expect(await response.json()).toEqual({ email: "alice@example.com" });
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("refreshes a lapsed session and appends the new cookies to those res already sets", async () => {
    const app = fake.app();
    const { cookie, expired } = await lapsed(app);
    const access = coreOf(app).cookieNames.access;
    const response = await call(
      async (req, res) => {
        res.setHeader("set-cookie", ["theme=dark; Path=/", "lang=en; Path=/"]);
        const session = await app.getServerSession(req, res);
        res.end(JSON.stringify({ expiresAt: session?.expiresAt.getTime() ?? null }));
      },
      { cookie },
    );
    expect(fake.count("/oauth2/token")).toBe(1);
    expect((await response.json()).expiresAt).toBeGreaterThan(Date.now());
    const lines = response.headers.getSetCookie();
    expect(lines.slice(0, 2)).toEqual(["theme=dark; Path=/", "lang=en; Path=/"]);
    const written = lines.find((line) => line.startsWith(`${access}=`));
    expect(written).toBeDefined();
    expect(written).not.toContain(expired);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("keeps a single Set-Cookie string res already holds", async () => {
    const app = fake.app();
    const { cookie } = await lapsed(app);
    const response = await call(
      async (req, res) => {
        res.setHeader("set-cookie", "theme=dark; Path=/");
        await app.getServerSession(req, res);
        res.end();
      },
      { cookie },
    );
    expect(response.headers.getSetCookie()[0]).toBe("theme=dark; Path=/");
    expect(response.headers.getSetCookie().length).toBeGreaterThan(1);
  });

  it("does not refresh again when the middleware's refresh of this request failed", async () => {
    const app = fake.app();
    const { cookie } = await lapsed(app);
    const response = await call(
      async (req, res) => {
        res.end(JSON.stringify({ session: (await app.getServerSession(req, res)) !== null }));
      },
      { cookie, [REFRESH_FAILED_HEADER]: "failed" },
    );
    expect(await response.json()).toEqual({ session: false });
    expect(fake.count("/oauth2/token")).toBe(0);
  });

  it("neither refreshes nor writes once the answer has begun", async () => {
    const app = fake.app();
    const { cookie } = await lapsed(app);
    let session: unknown = "unset";
    const response = await call(
      async (req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        session = await app.getServerSession(req, res);
        res.end("done");
      },
      { cookie },
    );
    expect(await response.text()).toBe("done");
    expect(session).toBeNull();
    expect(fake.count("/oauth2/token")).toBe(0);
  });

  it("is null for cookies it cannot read, and clears them", async () => {
    const app = fake.app();
    const access = coreOf(app).cookieNames.access;
    const response = await call(
      async (req, res) => {
        res.end(JSON.stringify({ session: await app.getServerSession(req, res) }));
      },
      { cookie: `${access}=not.a.token; other=1` },
    );
    expect(await response.json()).toEqual({ session: null });
    expect(cleared(response)).toContain(access);
  });

  it("leaves out a header the Headers class refuses (a structural req may hold one), reading the rest", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const written: unknown[] = [];
    const res = { statusCode: 200, getHeader: () => undefined, setHeader: (...args: unknown[]) => written.push(args), end: () => {} };
    const req = { headers: { "x-broken": "a\0b", "bad name": "x", cookie: cookieOf(browser.cookies) } };
    expect((await app.getServerSession(req, res))?.user?.email).toBe("alice@example.com");
    expect(await app.getServerSession({ headers: { cookie: "a\nb" } }, res)).toBeNull();
    expect(written).toEqual([]);
  });
});

describe("withAuth(rule, pages/api handler)", () => {
  const me = (app: ReturnType<typeof fake.app>, rule = {}) =>
    app.withAuth(rule, (_req: NextApiRequest, res: NextApiResponse, { session }) => {
      res.status(200).json({ email: session.user?.email ?? null, scoped: app.currentSession()?.user?.sub === session.user?.sub });
    });
  /** Node's req/res with the helpers Next adds to them in pages/api (res.status, res.json). */
  const nextApi =
    (wrapped: (req: NextApiRequest, res: NextApiResponse) => Promise<void>): NodeHandler =>
    (req, res) => {
      const api = res as unknown as NextApiResponse;
      api.status = (code: number) => {
        res.statusCode = code;
        return api;
      };
      api.json = (body: unknown) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      };
      return wrapped(req as NextApiRequest, api);
    };

  it("runs the handler with the session, in its scope, the answer the requester's own", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const response = await call(nextApi(me(app)), { cookie: cookieOf(browser.cookies) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ email: "alice@example.com", scoped: true });
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("vary")).toBe("Cookie, Authorization");
  });

  it.each([
    ["signed out", {}, () => ""],
    ["a wrong group", { groups: ["admins"] }, undefined],
    ["a missing scope", { scopes: ["orders/read"] }, undefined],
  ] as Array<[string, AccessRule, (() => string) | undefined]>)("answers %s exactly as a route handler does", async (_what, rule, cookieFor) => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const cookie = cookieFor ? cookieFor() : cookieOf(browser.cookies);
    const response = await call(nextApi(me(app, rule)), { cookie });
    const oracle = await routeAnswer(app, rule, cookie);
    expect(response.status).toBe(oracle.status);
    expect([401, 403]).toContain(response.status);
    expect(await response.text()).toBe(oracle.body);
    expect(response.headers.get("www-authenticate")).toBe(oracle.challenge);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("answers what requireGroup() throws in the handler as a route handler does: 403", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const wrapped = app.withAuth({}, (_req: NextApiRequest, res: NextApiResponse) => {
      app.requireGroup("admins");
      res.status(200).json({ reached: true });
    });
    const cookie = cookieOf(browser.cookies);
    const response = await call(nextApi(wrapped), { cookie });
    expect(response.status).toBe(403);
    expect(await response.text()).toBe((await routeAnswer(app, { groups: ["admins"] }, cookie)).body);
  });

  it("lets a refusal the handler throws after starting its answer go on as thrown: the answer cannot change any more", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const res = {
      statusCode: 200,
      headersSent: false,
      getHeader: () => undefined,
      setHeader(this: { headersSent: boolean }) {
        if (this.headersSent) throw Object.assign(new Error("headers sent"), { code: "ERR_HTTP_HEADERS_SENT" });
      },
      end: () => {},
    };
    const wrapped = app.withAuth({}, (_req: { headers: Record<string, string> }, response: typeof res) => {
      response.headersSent = true;
      app.requireGroup("admins");
    });
    await expect(wrapped({ headers: { cookie: cookieOf(browser.cookies) } }, res)).rejects.toMatchObject({ code: "ERR_ACCESS_DENIED" });
  });

  it("refreshes a lapsed session and writes the cookies through res before the handler answers", async () => {
    const app = fake.app();
    const { cookie } = await lapsed(app);
    const response = await call(nextApi(me(app)), { cookie });
    expect(response.status).toBe(200);
    expect(fake.count("/oauth2/token")).toBe(1);
    expect(response.headers.getSetCookie().some((line) => line.startsWith(`${coreOf(app).cookieNames.access}=`))).toBe(true);
  });

  it("still serves App Router route handlers: the same wrapper tells them apart by their arguments", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const route = app.withAuth({}, (_request, { session }) => Response.json({ email: session.user?.email }));
    const response = await route(new Request(`${APP_URL}/api/me`, { headers: { cookie: cookieOf(browser.cookies) } }), { params: Promise.resolve({}) });
    expect(await response.json()).toEqual({ email: "alice@example.com" });
  });

  it("any cookie header is a 200 with the session or a 401 with the bad cookies cleared: never a 500", async () => {
    // Invariant: whatever the Cookie header holds, the answer is 200 (only with the real
    // access token unaltered, the oracle) or 401; getServerSession never throws.
    const app = fake.app();
    const core = coreOf(app);
    const { browser, tokens } = await fake.signedIn(app);
    const real = [...browser.cookies];
    const names = [...real.map(([name]) => name), `${core.cookieNames.access}.0`, "other"];
    const value = fc.oneof(
      fc.constantFrom(...real.map(([, v]) => v)),
      fc.constantFrom(...real.map(([, v]) => v)).chain((v) => fc.nat({ max: v.length - 1 }).map((at) => `${v.slice(0, at)}~${v.slice(at + 1)}`)),
      fc.string({ unit: fc.constantFrom(...'abcAB0-_.=~%"\\ ,'), maxLength: 30 }),
    );
    const wrapped = nextApi(me(app));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 5 }), async (pairs) => {
        const cookie = pairs.map(([n, v]) => `${n}=${v}`).join("; ");
        const response = await call(wrapped, { cookie });
        const genuine = pairs.some(([n, v]) => n === core.cookieNames.access && v === tokens.access_token);
        if (response.status === 200) expect(genuine).toBe(true);
        else expect(response.status).toBe(401);
        await response.arrayBuffer();
        const read = await call(async (req, res) => res.end(String((await app.getServerSession(req, res)) !== null)), { cookie });
        expect(read.status).toBe(200);
        expect(await read.text()).toBe(String(response.status === 200));
      }),
      { numRuns: 60 },
    );
  });
});
