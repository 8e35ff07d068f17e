import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installCommand } from "../../scripts/prerequisites.mjs";
import { freePort } from "./ports.ts";

/**
 * A real redis-server on 127.0.0.1, in a temp directory, stopped by PID. `persist` turns
 * on the append-only file (fsync on every write) so a killed and restarted server comes
 * back with its data, as a production Redis with persistence does.
 */
export class RedisServer {
  #child: ChildProcess | undefined;
  #output = "";

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly persist: boolean,
  ) {}

  static async start({ persist = false }: { persist?: boolean } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), "ncs-redis-")), persist);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Start (again) on the same port and directory. */
  async restart(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--dir", this.dir];
    args.push(...(this.persist ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]));
    const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    let failed: NodeJS.ErrnoException | undefined;
    child.once("error", (error) => (failed = error));
    child.stdout!.on("data", (d) => (this.#output += d));
    child.stderr!.on("data", (d) => (this.#output += d));
    this.#child = child;
    const until = Date.now() + 10_000;
    while (!(await answers(this.port))) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(notStarted(failed, child, this.#output));
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGSTOP: the server keeps its sockets open and answers nothing (a slow or hung Redis). */
  pause(): void {
    this.#child?.kill("SIGSTOP");
  }

  resume(): void {
    this.#child?.kill("SIGCONT");
  }

  /** SIGKILL: Redis is down, connections drop. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await exited;
  }

  /** Stop the server and remove its directory. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Why redis-server did not start, and what to do about it. */
function notStarted(failed: NodeJS.ErrnoException | undefined, child: ChildProcess, output: string): string {
  if (failed?.code === "ENOENT") {
    return `redis-server did not start: it is not installed (not found on PATH). Install it with: ${installCommand(["redis-server"])}`;
  }
  if (failed) return `redis-server did not start: ${failed.message}`;
  const why = child.exitCode !== null ? `it exited with code ${child.exitCode}` : "it did not answer PING within 10 s";
  return `redis-server did not start: ${why}${output.trim() ? `:\n${output}` : ", printing nothing"}`;
}

/** Whether something answers PING on the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (d) => done(d.toString().startsWith("+PONG")));
  });
}
