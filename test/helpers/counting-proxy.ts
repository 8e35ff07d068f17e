import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { freePort } from "./ports.ts";

/** A call the proxy saw: the token endpoint's refresh grant or a Cognito API action. */
export interface SeenCall {
  kind: "refresh_grant" | "code_grant" | "api";
  /** The API action (`InitiateAuth`, …) for `api` calls. */
  action?: string;
  /** The `Authorization` header the caller sent, if any. */
  authorization?: string;
  /** The parsed request body (form fields or JSON). */
  body: Record<string, unknown>;
}

/**
 * What the proxy does with a refresh call instead of passing it on: answer with a status
 * and Cognito-shaped error, hang until the caller gives up, or tamper with the tokens.
 */
export type Fault = { status: number; error: string } | "hang" | "tamper";

/**
 * A small HTTP proxy in front of cognito-local that counts refresh calls, and where
 * cognito-local falls short of real Cognito, behaves like the real thing:
 * - HTTP Basic client authentication at `/oauth2/token` (checked against `clientSecrets`);
 * - refresh token rotation (`rotate`): every refresh returns a new refresh token and the
 *   old one is refused from then on, with no grace period;
 * - `GetTokensFromRefreshToken`, answered through cognito-local's `REFRESH_TOKEN_AUTH`.
 * `fault` makes refresh calls fail in a chosen way.
 */
export class CountingProxy {
  readonly calls: SeenCall[] = [];
  upstream = "";
  fault: Fault | undefined;
  rotate = false;
  /** Client secrets by client id, for clients that have one. */
  readonly clientSecrets = new Map<string, string>();
  readonly #aliases = new Map<string, string>();
  readonly #spent = new Set<string>();
  readonly #sockets = new Set<Socket>();
  readonly #server = createServer((req, res) => {
    this.#handle(req, res).catch((error) => {
      res.writeHead(502).end(String(error));
    });
  });

  private constructor(readonly port: number) {
    this.#server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
  }

  static async start(upstream = ""): Promise<CountingProxy> {
    const proxy = new CountingProxy(await freePort());
    proxy.upstream = upstream.replace(/\/+$/, "");
    await new Promise<void>((resolve) => proxy.#server.listen(proxy.port, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Refresh calls seen, of either kind. */
  get refreshes(): number {
    return this.calls.filter((c) => c.kind === "refresh_grant" || (c.kind === "api" && isRefreshAction(c))).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const raw = Buffer.concat(parts);
    const url = new URL(req.url ?? "/", this.upstream);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) headers.set(name, value);
    }
    const target = headers.get("x-amz-target");
    let body: Uint8Array<ArrayBuffer> | string = new Uint8Array(raw);
    let call: SeenCall | undefined;
    // The refresh token cognito-local issued, behind any rotated stand-in.
    let real: string | undefined;

    if (req.method === "POST" && url.pathname === "/oauth2/token") {
      const form = new URLSearchParams(raw.toString("utf8"));
      const authorization = headers.get("authorization") ?? undefined;
      const grant = form.get("grant_type");
      call = {
        kind: grant === "refresh_token" ? "refresh_grant" : "code_grant",
        body: Object.fromEntries(form),
        ...(authorization ? { authorization } : {}),
      };
      this.calls.push(call);
      if (authorization?.startsWith("Basic ")) {
        // Real Cognito takes the client from Basic auth; cognito-local reads it from the form.
        const [id, secret] = Buffer.from(authorization.slice(6), "base64").toString("utf8").split(":").map(decodeURIComponent);
        if (this.clientSecrets.get(id!) !== secret) return json(res, 400, { error: "invalid_client" });
        form.set("client_id", id!);
        headers.delete("authorization");
      } else if (this.clientSecrets.has(form.get("client_id") ?? "")) {
        return json(res, 400, { error: "invalid_client" });
      }
      if (call.kind === "refresh_grant") {
        if (this.fault && this.fault !== "tamper") return this.#fail(res, this.fault, "oauth");
        real = this.#redeemAlias(form.get("refresh_token") ?? "");
        if (real === undefined) return json(res, 400, { error: "invalid_grant" });
        form.set("refresh_token", real);
      }
      body = form.toString();
    } else if (target) {
      const action = target.split(".").pop()!;
      const parsed = JSON.parse(raw.toString("utf8") || "{}") as Record<string, any>;
      call = { kind: "api", action, body: parsed };
      this.calls.push(call);
      if (isRefreshAction(call)) {
        if (this.fault && this.fault !== "tamper") return this.#fail(res, this.fault, "api");
        const presented = action === "GetTokensFromRefreshToken" ? parsed.RefreshToken : parsed.AuthParameters?.REFRESH_TOKEN;
        if (action === "GetTokensFromRefreshToken" && this.clientSecrets.get(parsed.ClientId) !== parsed.ClientSecret) {
          return json(res, 400, { __type: "NotAuthorizedException", message: "Client secret mismatch" });
        }
        real = this.#redeemAlias(String(presented ?? ""));
        if (real === undefined) return json(res, 400, { __type: "NotAuthorizedException", message: "Invalid Refresh Token" });
        // cognito-local has no GetTokensFromRefreshToken: ask it through InitiateAuth.
        headers.set("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth");
        body = JSON.stringify({ AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: parsed.ClientId, AuthParameters: { REFRESH_TOKEN: real } });
      }
    }

    const upstream = await fetch(url, {
      method: req.method,
      headers,
      redirect: "manual",
      ...(req.method === "GET" || req.method === "HEAD" ? {} : { body }),
    });
    let out = Buffer.from(await upstream.arrayBuffer());
    if (call && upstream.ok && (call.kind === "refresh_grant" || isRefreshAction(call))) {
      out = Buffer.from(this.#rewriteRefresh(JSON.parse(out.toString("utf8")), call.kind === "refresh_grant", real!));
    }
    const responseHeaders: Record<string, string | string[]> = {};
    upstream.headers.forEach((value, name) => {
      if (!["content-length", "content-encoding", "transfer-encoding", "connection"].includes(name)) responseHeaders[name] = value;
    });
    const setCookies = upstream.headers.getSetCookie();
    if (setCookies.length > 0) responseHeaders["set-cookie"] = setCookies;
    res.writeHead(upstream.status, responseHeaders).end(out);
  }

  /** The refresh token cognito-local knows for `presented`; undefined when it was rotated away. */
  #redeemAlias(presented: string): string | undefined {
    if (!this.rotate) return presented;
    if (this.#spent.has(presented)) return undefined;
    this.#spent.add(presented);
    const real = this.#aliases.get(presented) ?? presented;
    this.#aliases.delete(presented);
    return real;
  }

  #rewriteRefresh(result: Record<string, any>, oauth: boolean, real: string): string {
    if (!oauth) result.AuthenticationResult ??= {};
    const tokens = oauth ? result : result.AuthenticationResult;
    if (this.rotate) {
      const next = `rotated.${randomBytes(24).toString("base64url")}`;
      this.#aliases.set(next, real);
      tokens[oauth ? "refresh_token" : "RefreshToken"] = next;
    }
    if (this.fault === "tamper") {
      const key = oauth ? "access_token" : "AccessToken";
      tokens[key] = tamper(String(tokens[key]));
    }
    return JSON.stringify(result);
  }

  #fail(res: ServerResponse, fault: Exclude<Fault, "tamper">, shape: "oauth" | "api"): void {
    if (fault === "hang") return; // the socket stays open until the caller aborts or the proxy stops
    if (shape === "oauth") json(res, fault.status, { error: fault.error });
    else json(res, fault.status, { __type: fault.error, message: "injected by the test proxy" });
  }
}

function isRefreshAction(call: SeenCall): boolean {
  return (
    call.action === "GetTokensFromRefreshToken" ||
    (call.action === "InitiateAuth" && (call.body.AuthFlow === "REFRESH_TOKEN_AUTH" || call.body.AuthFlow === "REFRESH_TOKEN"))
  );
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** The same JWT with one signature character changed. */
export function tamper(jwt: string): string {
  const last = jwt.at(-2) === "A" ? "B" : "A";
  return `${jwt.slice(0, -2)}${last}${jwt.at(-1)}`;
}
