import { createCognitoSession } from "next-cognito-session";
import { RedisStore } from "next-cognito-session/redis";
import { authOptions, type Custom } from "./auth.config";

/**
 * The app's one session object: the shared options (auth.config.ts), plus the Redis store
 * when REDIS_URL is set: sessions live in Redis (the browser holds a sealed id) and every
 * instance shares one refresh per session and global sign-outs.
 */
export const auth = createCognitoSession<Custom>({
  ...authOptions,
  // The runtime check lets the Edge build leave the Redis store out altogether.
  ...(process.env.REDIS_URL && process.env.NEXT_RUNTIME !== "edge" ? { store: new RedisStore({ url: process.env.REDIS_URL }) } : {}),
});
