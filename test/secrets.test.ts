// Secrets never print: whatever a user logs, serializes or clones of the auth object and
// its parts, at any depth, holds no SESSION_SECRET, no client secret, no Redis password.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { Secret } from "../src/config/secret.ts";
import { signIn } from "../src/flows/sign-in.ts";
import { createCognitoSession } from "../src/index.ts";
import { RedisStore } from "../src/redis.ts";
import { coreOf } from "../src/internal.ts";
import type { StoreSessions } from "../src/persistence/store-sessions.ts";

const SESSION_SECRETS = ["newest-session-secret-NS1-0123456789abcdef", "older-session-secret-OS2-0123456789abcdefg"];
const CLIENT_SECRET = "the-client-secret-CS3-0123456789";
const REDIS_PASSWORD = "the-redis-password-RP4";
const SECRETS = [...SESSION_SECRETS, CLIENT_SECRET, REDIS_PASSWORD];

const env = {
  COGNITO_USER_POOL_ID: "eu-west-1_Secrets1",
  COGNITO_CLIENT_ID: "secretsclient",
  COGNITO_CLIENT_SECRET: CLIENT_SECRET,
  COGNITO_DOMAIN: "https://auth.example.com",
  APP_URL: "https://app.example.com",
  SESSION_SECRET: SESSION_SECRETS.join(","),
};

/** Every way an object is commonly turned into text, each tried on its own. */
function renderings(value: unknown): string[] {
  const out: string[] = [];
  const attempt = (render: () => string) => {
    try {
      out.push(render());
    } catch (error) {
      // Cycles, functions, URLs: what cannot be rendered leaks nothing, but say why.
      out.push(`(not renderable: ${(error as Error).name})`);
    }
  };
  attempt(() => JSON.stringify(value) ?? "");
  attempt(() => String(value));
  attempt(() => `${value as string}`);
  attempt(() => String((value as { toString(): unknown }).toString()));
  for (const customInspect of [true, false]) {
    attempt(() => inspect(value, { depth: Infinity, showHidden: true, getters: true, customInspect }));
  }
  attempt(() => inspect(structuredClone(value), { depth: Infinity, showHidden: true, customInspect: false }));
  return out;
}

function expectNoSecret(label: string, value: unknown) {
  for (const text of renderings(value)) {
    for (const secret of SECRETS) {
      if (text.includes(secret)) throw new Error(`${label} prints a secret: …${text.slice(Math.max(0, text.indexOf(secret) - 80), text.indexOf(secret))}`);
    }
  }
}

/** `value` and every object reachable through its own properties, by path. */
function reachable(root: unknown): Array<[string, unknown]> {
  const seen = new Set<unknown>();
  const found: Array<[string, unknown]> = [];
  const walk = (path: string, value: unknown) => {
    if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) return;
    seen.add(value);
    found.push([path, value]);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
      if (descriptor && "value" in descriptor) walk(`${path}.${String(key)}`, descriptor.value);
    }
  };
  walk("auth", root);
  return found;
}

describe("secrets are unprintable", () => {
  it("a Secret reveals its value only when asked", () => {
    const secret = new Secret(CLIENT_SECRET);
    expect(secret.reveal()).toBe(CLIENT_SECRET);
    expectNoSecret("Secret", secret);
    expectNoSecret("[Secret]", [secret, { nested: secret }]);
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
  });

  it("the auth object, its config, its core and everything they hold print no secret, at any depth, before and after use", async () => {
    const store = new RedisStore({ url: `redis://default:${REDIS_PASSWORD}@127.0.0.1:1/0` });
    const auth = createCognitoSession({ env, store });
    // Used: the seal passwords derived, a sign-in started, a session written and read.
    const started = await signIn(coreOf(auth), new Request("https://app.example.com/auth/sign-in"));
    expect(started.status).toBe(302);
    const sealed = await coreOf(auth).sealer.seal("session", { r: "refresh" }, 60);
    expect(await coreOf(auth).sealer.unseal("session", sealed)).toEqual({ r: "refresh" });
    const { ids } = coreOf(auth).storage as StoreSessions;
    expect(await ids.open((await ids.create()).sealed)).toBeDefined();

    expect(auth.config.clientSecret?.reveal()).toBe(CLIENT_SECRET);
    expect(auth.config.secrets.map((s) => s.reveal())).toEqual(SESSION_SECRETS);
    const objects = reachable(auth);
    expect(objects.length).toBeGreaterThan(20);
    for (const [path, value] of objects) expectNoSecret(path, value);
    await store.close();
  });

  it("a RedisStore shows its URL with the password masked", async () => {
    for (const [url, shown] of [
      [`redis://default:${REDIS_PASSWORD}@cache.internal:6379/2`, "redis://default:***@cache.internal:6379/2"],
      [`rediss://:${REDIS_PASSWORD}@cache.internal`, "rediss://:***@cache.internal"],
      [`redis://${REDIS_PASSWORD}@cache.internal`, "redis://***@cache.internal"],
      [`redis://cache.internal:6379?password=${REDIS_PASSWORD}#${REDIS_PASSWORD}`, "redis://cache.internal:6379"],
      [`redis://u:${REDIS_PASSWORD}@[::1`, "[unparsable URL]"],
    ] as const) {
      const store = new RedisStore({ url });
      expect(store.url).toBe(shown);
      expectNoSecret(url, store);
      await store.close();
    }
  });
});
