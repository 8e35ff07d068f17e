import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { TestBrowser } from "./app.ts";
import { freePort } from "./ports.ts";

type App = TestBrowser["app"];
type Handler = (request: Request, context: unknown) => Response | Promise<Response>;

/**
 * One app instance behind its own HTTP server on a free loopback port: each request goes
 * through the app's middleware and, when let through, its route handler, as `TestBrowser`
 * drives them. Several of these sharing one Redis are several instances of one app.
 */
export class Instance {
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly app: App,
    readonly port: number,
    readonly server: Server,
  ) {
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
  }

  static async start(app: App, routes: Record<string, Handler>): Promise<Instance> {
    const port = await freePort();
    const server = createServer(async (req, res) => {
      try {
        const browser = new TestBrowser(app);
        for (const [path, handler] of Object.entries(routes)) browser.routes.set(path, handler);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
        const parts: Buffer[] = [];
        for await (const part of req) parts.push(part as Buffer);
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(parts).toString("utf8");
        const response = await browser.fetch(req.url ?? "/", { method: req.method ?? "GET", headers, ...(body !== undefined ? { body } : {}) });
        const out: Record<string, string | string[]> = {};
        response.headers.forEach((value, name) => {
          if (name !== "set-cookie") out[name] = value;
        });
        const cookies = response.headers.getSetCookie();
        if (cookies.length > 0) out["set-cookie"] = cookies;
        res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()));
      } catch (error) {
        // Surfaces as a 500 the tests look for: any of them is a failure.
        res.writeHead(500).end(String(error));
      }
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return new Instance(app, port, server);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
