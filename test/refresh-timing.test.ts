import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/config/resolve.ts";
import { ConfigError } from "../src/lib/errors.ts";
import { refreshDue } from "../src/session/refresh-due.ts";

const env = {
  COGNITO_USER_POOL_ID: "eu-west-1_AbC123",
  COGNITO_CLIENT_ID: "client1",
  SESSION_SECRET: "0123456789abcdef0123456789abcdef",
  APP_URL: "https://app.example.com",
};

describe("when a session is refreshed", () => {
  const hour = { iat: 1_000, exp: 4_600 };
  it("is within the margin of expiry: an hour-long token 60 s before its exp", () => {
    expect(refreshDue(hour, 60, 4_539)).toBe(false);
    expect(refreshDue(hour, 60, 4_540)).toBe(true);
    expect(refreshDue(hour, 60, 5_000)).toBe(true);
  });

  it("is never before half the token's life, so short-lived tokens are not refreshed on every request", () => {
    const short = { iat: 1_000, exp: 1_004 };
    expect(refreshDue(short, 60, 1_001)).toBe(false);
    expect(refreshDue(short, 60, 1_002)).toBe(true);
  });

  it("is at expiry with a zero margin", () => {
    expect(refreshDue(hour, 0, 4_599)).toBe(false);
    expect(refreshDue(hour, 0, 4_600)).toBe(true);
  });
});

describe("refresh settings", () => {
  it("default to a 60 s margin, no rotation, 5 s timeouts and 30-day sessions", () => {
    const config = resolveConfig({ env });
    expect(config.refresh).toEqual({ margin: 60, rotation: false });
    expect(config.timeoutMs).toBe(5_000);
    expect(config.sessionMaxAge).toBe(30 * 86_400);
  });

  it("take explicit values and refuse a negative margin by name", () => {
    expect(resolveConfig({ env, refresh: { margin: 300, rotation: true } }).refresh).toEqual({ margin: 300, rotation: true });
    expect(() => resolveConfig({ env, refresh: { margin: -1 } })).toThrow(ConfigError);
    expect(() => resolveConfig({ env, refresh: { margin: -1 } })).toThrow(/refresh\.margin/);
  });
});
