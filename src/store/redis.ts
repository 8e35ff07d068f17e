import type { RedisClientType } from "redis";
import { StoreUnavailableError } from "../errors.ts";
import type { SessionStore } from "./store.ts";

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL of the server (ElastiCache, Valkey, Upstash's Redis endpoint…). Env: `REDIS_URL`. */
  url?: string;
  /** Prefix of every key and of the announce channel, so apps can share a server. Default `ncs:`. */
  prefix?: string;
  /**
   * Milliseconds any one command may take before it counts as a failure
   * (StoreUnavailableError): a slow Redis then costs a request this long at most. Default 500.
   */
  timeoutMs?: number;
}

type Client = RedisClientType;
const WATCH_CHANNEL = "announce";

/**
 * A {@link SessionStore} on Redis through node-redis, for the Node runtime (`proxy.ts`,
 * route handlers, server actions, server components); it opens TCP sockets, which Edge
 * middleware cannot. It connects on first use and reconnects on its own; while it is
 * disconnected, commands fail at once instead of queueing, and a command that does not
 * answer within `timeoutMs` fails too, so callers can fall back or answer 503.
 */
export class RedisStore implements SessionStore {
  readonly shared = true;
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly url: string;
  #client: Promise<Client> | undefined;
  #subscriber: Client | undefined;
  #connected: Promise<unknown> | undefined;
  readonly #watchers: Array<{ prefix: string; listener: (key: string, value: string) => void }> = [];

  constructor(options: RedisStoreOptions = {}) {
    const url = options.url ?? (typeof process === "undefined" ? undefined : process.env.REDIS_URL);
    if (!url) throw new TypeError("RedisStore needs a url (or REDIS_URL)");
    this.prefix = options.prefix ?? "ncs:";
    this.timeoutMs = options.timeoutMs ?? 500;
    this.url = url;
  }

  /**
   * The node-redis client, created on first use. `redis` is imported only then, and hidden
   * from bundlers, so an app whose Edge middleware shares a module with this store does not
   * pull node-redis (TCP sockets) into the Edge bundle; Node resolves it at run time.
   */
  #clientOf(): Promise<Client> {
    this.#client ??= (import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "redis") as Promise<typeof import("redis")>).then(
      ({ createClient }) => {
        const client = createClient({
          url: this.url,
          disableOfflineQueue: true,
          socket: { connectTimeout: this.timeoutMs, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) },
        }) as Client;
        // node-redis emits connection errors as events; unheard, they would crash the process.
        client.on("error", () => {});
        return client;
      },
    );
    return this.#client;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#run((c) => c.get(this.prefix + key));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number, only?: "new" | "existing"): Promise<boolean> {
    const condition = only === "new" ? "NX" : only === "existing" ? "XX" : undefined;
    const reply = await this.#run((c) =>
      c.set(this.prefix + key, value, {
        expiration: { type: "PX", value: Math.max(1, Math.ceil(ttlMs)) },
        ...(condition ? { condition } : {}),
      }),
    );
    return reply === "OK";
  }

  async delete(key: string): Promise<void> {
    await this.#run((c) => c.del(this.prefix + key));
  }

  async announce(key: string, value: string, ttlMs: number): Promise<void> {
    await this.set(key, value, ttlMs);
    await this.#run((c) => c.publish(this.prefix + WATCH_CHANNEL, JSON.stringify([key, value])));
  }

  async watch(prefix: string, listener: (key: string, value: string) => void): Promise<void> {
    this.#watchers.push({ prefix, listener });
    if (!this.#subscriber) {
      const subscriber = (await this.#clientOf()).duplicate() as Client;
      subscriber.on("error", () => {});
      // Subscriptions are restored on reconnect; what was announced meanwhile is read again.
      let reconnect = false;
      subscriber.on("ready", () => {
        if (reconnect) void this.#replay();
        reconnect = true;
      });
      this.#subscriber = subscriber;
      await this.#bounded(
        subscriber.connect().then(() => subscriber.subscribe(this.prefix + WATCH_CHANNEL, (message) => this.#heard(message))),
      ).catch(() => {});
    }
    await this.#replay([{ prefix, listener }]);
  }

  /** Close both connections. */
  async close(): Promise<void> {
    for (const client of [this.#client && (await this.#client), this.#subscriber]) {
      if (client?.isOpen) await client.close().catch(() => client.destroy());
      else client?.destroy();
    }
  }

  #heard(message: string): void {
    let entry: unknown;
    try {
      entry = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "string") return;
    for (const { prefix, listener } of this.#watchers) if (entry[0].startsWith(prefix)) listener(entry[0], entry[1]);
  }

  /** Hand the keys that exist under each watcher's prefix to it. */
  async #replay(watchers = this.#watchers): Promise<void> {
    for (const { prefix, listener } of watchers) {
      try {
        const keys: string[] = [];
        await this.#run(async (c) => {
          for await (const batch of c.scanIterator({ MATCH: `${this.prefix}${prefix}*`, COUNT: 500 })) keys.push(...batch);
        });
        for (let i = 0; i < keys.length; i += 500) {
          const slice = keys.slice(i, i + 500);
          const values = await this.#run((c) => c.mGet(slice));
          slice.forEach((key, j) => {
            const value = values[j];
            if (typeof value === "string") listener(key.slice(this.prefix.length), value);
          });
        }
      } catch {
        // Unreachable now; the next reconnect replays again.
      }
    }
  }

  async #run<T>(command: (client: Client) => Promise<T>): Promise<T> {
    // Loading node-redis (first use only; over half a second on a busy machine) is not the
    // server's answer time: only connecting and the command count against timeoutMs.
    const client = await this.#clientOf().catch((error: unknown) => {
      throw new StoreUnavailableError("the session store could not be reached", { cause: error });
    });
    return this.#bounded(
      (async () => {
        this.#connected ??= client.connect().catch((error) => {
          this.#connected = undefined;
          throw error;
        });
        if (!client.isReady) await this.#connected;
        return command(client);
      })(),
    );
  }

  /** `work`, or StoreUnavailableError once it has taken `timeoutMs` or failed. */
  #bounded<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      // A busy process runs due timers before it reads its sockets: a reply that arrived in
      // time but was not read yet is read first (setImmediate runs after the socket reads).
      const expire = () => setImmediate(() => reject(new StoreUnavailableError("the session store did not answer in time")));
      timer = setTimeout(expire, this.timeoutMs);
    });
    return Promise.race([work, late])
      .catch((error: unknown) => {
        if (error instanceof StoreUnavailableError) throw error;
        throw new StoreUnavailableError("the session store could not be reached", { cause: error });
      })
      .finally(() => clearTimeout(timer));
  }
}
