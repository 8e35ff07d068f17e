import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/config/resolve.ts";
import { ConfigError } from "../src/lib/errors.ts";

const env = {
  COGNITO_USER_POOL_ID: "eu-west-1_AbC123",
  COGNITO_CLIENT_ID: "1example23456789",
  SESSION_SECRET: "a".repeat(32),
  APP_URL: "https://app.example.com",
};

function failure(overrides: Record<string, string | undefined>): ConfigError {
  try {
    resolveConfig({ env: { ...env, ...overrides } });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  it("derives region, issuer, JWKS and API endpoint from the pool id", () => {
    const config = resolveConfig({ env });
    expect(config.region).toBe("eu-west-1");
    expect(config.issuer).toBe("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123");
    expect(config.jwksUri.href).toBe("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json");
    expect(config.endpoint.href).toBe("https://cognito-idp.eu-west-1.amazonaws.com/");
    expect(config.cookies).toEqual({ name: "ncs", secure: true });
  });

  it("takes explicit options over the environment", () => {
    const config = resolveConfig({ env, clientId: "otherclient", issuer: "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123" });
    expect(config.clientId).toBe("otherclient");
    expect(config.issuer).toBe("https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123");
  });

  it.each([
    [{ COGNITO_USER_POOL_ID: undefined }, "COGNITO_USER_POOL_ID"],
    [{ COGNITO_USER_POOL_ID: "not a pool" }, "COGNITO_USER_POOL_ID"],
    [{ COGNITO_CLIENT_ID: "" }, "COGNITO_CLIENT_ID"],
    [{ SESSION_SECRET: undefined }, "SESSION_SECRET"],
    [{ SESSION_SECRET: "short" }, "SESSION_SECRET"],
    [{ SESSION_SECRET: `${"a".repeat(32)},short` }, "SESSION_SECRET"],
    [{ APP_URL: undefined }, "APP_URL"],
    [{ APP_URL: "app.example.com" }, "APP_URL"],
    [{ APP_URL: "http://app.example.com" }, "APP_URL"],
    [{ APP_URL: "https://app.example.com/sub" }, "APP_URL"],
    [{ COGNITO_ISSUER: "http://issuer.example.com/pool" }, "COGNITO_ISSUER"],
    [{ COGNITO_ISSUER: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/" }, "COGNITO_ISSUER"],
    [{ COGNITO_JWKS_URI: "http://keys.example.com/jwks.json" }, "COGNITO_JWKS_URI"],
    [{ COGNITO_DOMAIN: "http://auth.example.com" }, "COGNITO_DOMAIN"],
    [{ COGNITO_ENDPOINT: "ftp://cognito.example.com" }, "COGNITO_ENDPOINT"],
    [{ COGNITO_REGION: "EU WEST" }, "COGNITO_REGION"],
  ])("fails fast on %o naming %s", (overrides, setting) => {
    const error = failure(overrides);
    expect(error.setting).toBe(setting);
    expect(error.message).toContain(setting);
  });

  it("never echoes a secret in its error", () => {
    const error = failure({ SESSION_SECRET: "tooshort-secret" });
    expect(error.message).not.toContain("tooshort-secret");
  });

  it("allows plain http for loopback hosts only", () => {
    const config = resolveConfig({
      env: {
        ...env,
        COGNITO_ISSUER: "http://127.0.0.1:9229/local_abc",
        COGNITO_DOMAIN: "http://127.0.0.1:9229",
        APP_URL: "http://localhost:3000",
        COGNITO_USER_POOL_ID: "local_abc",
      },
    });
    expect(config.jwksUri.href).toBe("http://127.0.0.1:9229/local_abc/.well-known/jwks.json");
    expect(config.cookies.secure).toBe(true);
  });

  it("reads several secrets, newest first", () => {
    const config = resolveConfig({ env: { ...env, SESSION_SECRET: `${"n".repeat(32)}, ${"o".repeat(32)}` } });
    expect(config.secrets.map((secret) => secret.reveal())).toEqual(["n".repeat(32), "o".repeat(32)]);
  });
});
