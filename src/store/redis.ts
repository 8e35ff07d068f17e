import type { RedisClientType } from "redis";
import { isCode, StoreUnavailableError } from "../lib/errors.ts";
import type { SessionStore } from "./store.ts";
import { activeTracer, CLIENT, traced } from "../lib/tracing.ts";

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
type Watcher = { prefix: string; listener: (key: string, value: string) => void };
const WATCH_CHANNEL = "announce";
/** Milliseconds before keys that could not be read are read again. */
const RETRY_MS = 1_000;

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
  /** The server's URL with its password masked, for logs; the store connects with the URL it was given. */
  readonly url: string;
  /** The URL as given, password and all: private, so neither JSON nor `util.inspect` can print it. */
  readonly #url: string;
  #client: Promise<Client> | undefined;
  #subscriber: Client | undefined;
  #subscribed: Promise<void> | undefined;
  /** The subscriber has listened to the announce channel (and restores that on reconnect). */
  #listening = false;
  #connected: Promise<unknown> | undefined;
  readonly #watchers: Watcher[] = [];
  /** Watchers that must read the existing keys again: new ones, and all of them after a (re)connection. */
  readonly #stale = new Set<Watcher>();
  /** Watchers whose last read failed, waiting for the retry. */
  readonly #failed = new Set<Watcher>();
  #catchingUp: Promise<void> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: RedisStoreOptions = {}) {
    const url = options.url ?? (typeof process === "undefined" ? undefined : process.env.REDIS_URL);
    if (!url) throw new TypeError("RedisStore needs a url (or REDIS_URL)");
    this.prefix = options.prefix ?? "ncs:";
    this.timeoutMs = options.timeoutMs ?? 500;
    this.#url = url;
    this.url = redactedUrl(url);
  }

  /**
   * The node-redis client, created on first use. `redis` is imported only then, and hidden
   * from bundlers, so an app whose Edge middleware shares a module with this store does not
   * pull node-redis (TCP sockets) into the Edge bundle; Node resolves it at run time.
   */
  #clientOf(): Promise<Client> {
    this.#client ??= (import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "redis") as Promise<typeof import("redis")>).then(({ createClient }) => {
      const client = createClient({
        url: this.#url,
        disableOfflineQueue: true,
        socket: { connectTimeout: this.timeoutMs, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) },
      }) as Client;
      // node-redis emits connection errors as events; unheard, they would crash the process.
      client.on("error", () => {});
      return client;
    });
    return this.#client;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#run("GET", key, (c) => c.get(this.prefix + key));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number, only?: "new" | "existing"): Promise<boolean> {
    const condition = only === "new" ? "NX" : only === "existing" ? "XX" : undefined;
    const reply = await this.#run("SET", key, (c) =>
      c.set(this.prefix + key, value, {
        expiration: { type: "PX", value: Math.max(1, Math.ceil(ttlMs)) },
        ...(condition ? { condition } : {}),
      }),
    );
    return reply === "OK";
  }

  async delete(key: string): Promise<void> {
    await this.#run("DEL", key, (c) => c.del(this.prefix + key));
  }

  async announce(key: string, value: string, ttlMs: number): Promise<void> {
    await this.set(key, value, ttlMs);
    await this.#run("PUBLISH", key, (c) => c.publish(this.prefix + WATCH_CHANNEL, JSON.stringify([key, value])));
  }

  async watch(prefix: string, listener: (key: string, value: string) => void): Promise<void> {
    this.#watchers.push({ prefix, listener });
    if (this.#listening) this.#readAll();
    else this.#subscribed ??= this.#subscribe();
    // The first connection is waited for no longer than a command: when it comes later, the keys are read then.
    if (
      await this.#bounded(this.#subscribed!).then(
        () => true,
        () => false,
      )
    )
      await this.#catchingUp;
  }

  /**
   * Connect the subscriber and listen to the announce channel. Once it listens, and again
   * after every reconnect (node-redis restores the subscription before `ready`), every
   * watcher reads what exists: what was announced while this instance was not listening is
   * heard then, whether the first connection or a later one came late.
   */
  async #subscribe(): Promise<void> {
    const subscriber = (await this.#clientOf()).duplicate() as Client;
    subscriber.on("error", () => {});
    subscriber.on("ready", () => {
      if (this.#listening) this.#readAll();
    });
    this.#subscriber = subscriber;
    await subscriber.connect();
    await subscriber.subscribe(this.prefix + WATCH_CHANNEL, (message) => this.#heard(message));
    this.#listening = true;
    this.#readAll();
  }

  /** Have every watcher read the keys that exist. */
  #readAll(): void {
    for (const watcher of this.#watchers) this.#stale.add(watcher);
    this.#failed.clear();
    void this.#catchUp();
  }

  /**
   * Hand each stale watcher the keys that exist under its prefix, one pass at a time; a
   * watcher marked during a pass gets another. What could not be read is tried again after
   * a pause (or at the next reconnect), since no event may come to trigger it: a Redis that
   * is only slow reconnects nothing. Settles when this pass is over; never rejects.
   */
  #catchUp(): Promise<void> {
    this.#catchingUp ??= (async () => {
      try {
        while (this.#stale.size > 0 && !this.#closed) {
          const pass = [...this.#stale];
          this.#stale.clear();
          for (const watcher of pass) {
            if (!(await this.#replay(watcher))) this.#failed.add(watcher);
          }
          if (this.#failed.size > 0) break;
        }
      } finally {
        this.#catchingUp = undefined;
      }
      if (this.#failed.size > 0 && !this.#closed) {
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => {
          for (const watcher of this.#failed) this.#stale.add(watcher);
          this.#failed.clear();
          void this.#catchUp();
        }, RETRY_MS);
        // A retry never keeps the process alive.
        (this.#retry as { unref?: () => void }).unref?.();
      }
    })();
    return this.#catchingUp;
  }

  /** Close both connections. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
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

  /** Hand the keys that exist under the watcher's prefix to it. False when the store could not be read. */
  async #replay({ prefix, listener }: Watcher): Promise<boolean> {
    try {
      const keys: string[] = [];
      await this.#run("SCAN", prefix, async (c) => {
        for await (const batch of c.scanIterator({ MATCH: `${this.prefix}${prefix}*`, COUNT: 500 })) keys.push(...batch);
      });
      for (let i = 0; i < keys.length; i += 500) {
        const slice = keys.slice(i, i + 500);
        const values = await this.#run("MGET", prefix, (c) => c.mGet(slice));
        slice.forEach((key, j) => {
          const value = values[j];
          if (typeof value === "string") listener(key.slice(this.prefix.length), value);
        });
      }
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Run one command, in a span when tracing: `name` is the command's, `key` ours without
   * the prefix. The span names only the key's namespace (`session`, `refresh`, `nbf`,
   * `revoked`): the rest of a key is a hash of a secret or a user's id.
   */
  #run<T>(name: string, key: string, command: (client: Client) => Promise<T>): Promise<T> {
    const tracer = activeTracer();
    if (tracer === undefined) return this.#send(command);
    const attributes = { "db.system.name": "redis", "db.operation.name": name, "ncs.store.namespace": key.slice(0, Math.max(0, key.indexOf(":"))) };
    return traced(tracer, `redis ${name}`, attributes, CLIENT, () => this.#send(command));
  }

  async #send<T>(command: (client: Client) => Promise<T>): Promise<T> {
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
        if (isCode(error, "ERR_STORE_UNAVAILABLE")) throw error;
        throw new StoreUnavailableError("the session store could not be reached", { cause: error });
      })
      .finally(() => clearTimeout(timer));
  }
}

/**
 * `url` without its password, query or fragment: `redis://user:***@host:6379/0`. A user
 * without a password is masked too (`redis://secret@host` is how some write a password), and a
 * URL that does not parse is not shown at all: there is no telling which part is the password.
 */
function redactedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "[unparsable URL]";
  }
  const user = parsed.password ? `${parsed.username}:***@` : parsed.username ? "***@" : "";
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
}
