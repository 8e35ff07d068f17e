import { describe, expect, it, vi } from "vitest";
import * as errors from "../src/lib/errors.ts";

const {
  CognitoSessionError,
  CognitoUnavailableError,
  InvalidClaimError,
  InvalidSignatureError,
  InvalidTokenError,
  isCode,
  isOutage,
  JwksUnavailableError,
  StoreUnavailableError,
  TokenExpiredError,
} = errors;

/** Another copy of the error module, as another of Next's module graphs holds it. */
async function otherCopy(): Promise<typeof errors> {
  vi.resetModules();
  return import("../src/lib/errors.ts");
}

describe("error codes", () => {
  it("match an error's own code and every code above it, and nothing else", () => {
    const expired = new TokenExpiredError("token expired");
    expect(expired.code).toBe("ERR_TOKEN_EXPIRED");
    expect(isCode(expired, "ERR_TOKEN_EXPIRED")).toBe(true);
    expect(isCode(expired, "ERR_TOKEN_INVALID")).toBe(true);
    expect(isCode(expired, "ERR_COGNITO_SESSION")).toBe(true);
    expect(isCode(expired, "ERR_TOKEN_SIGNATURE")).toBe(false);
    expect(isCode(new InvalidTokenError("x"), "ERR_TOKEN_EXPIRED")).toBe(false);
    expect(isCode(new StoreUnavailableError("x"), "ERR_COGNITO_UNAVAILABLE")).toBe(true);
    expect(isCode(new CognitoUnavailableError("x"), "ERR_STORE_UNAVAILABLE")).toBe(false);
  });

  it("are recognised only on the library's own errors, not on look-alikes", () => {
    const lookAlike = Object.assign(new Error("x"), { code: "ERR_TOKEN_INVALID" });
    const sameStatic = new (class Other extends Error {
      static code = "ERR_TOKEN_INVALID";
      code = "ERR_TOKEN_INVALID";
    })();
    for (const value of [lookAlike, sameStatic, { code: "ERR_TOKEN_INVALID" }, "ERR_TOKEN_INVALID", null, undefined, 42]) {
      expect(isCode(value, "ERR_TOKEN_INVALID")).toBe(false);
      expect(value instanceof InvalidTokenError).toBe(false);
    }
    // A prototype without a constructor does not break the check.
    expect(isCode(Object.create(Object.create(InvalidTokenError.prototype, { constructor: { value: undefined } })), "ERR_TOKEN_INVALID")).toBe(true);
  });

  it("are listed in an error's JSON form, which still has no message secrets", () => {
    expect(JSON.parse(JSON.stringify(new InvalidClaimError("aud", "wrong audience")))).toMatchObject({ code: "ERR_TOKEN_CLAIM", claim: "aud" });
  });

  it("count keys, Cognito and the store as outages, and nothing else", () => {
    expect([new JwksUnavailableError("x"), new CognitoUnavailableError("x"), new StoreUnavailableError("x")].map(isOutage)).toEqual([true, true, true]);
    expect([new InvalidTokenError("x"), new CognitoSessionError("x"), new TypeError("x"), new DOMException("x")].map(isOutage)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("errors made by another copy of the library", () => {
  it("are recognised by isCode and by instanceof of this copy's classes", async () => {
    const other = await otherCopy();
    expect(other.TokenExpiredError).not.toBe(TokenExpiredError);
    const expired = new other.TokenExpiredError("token expired");
    expect(expired instanceof TokenExpiredError).toBe(true);
    expect(expired instanceof InvalidTokenError).toBe(true);
    expect(expired instanceof CognitoSessionError).toBe(true);
    expect(expired instanceof InvalidSignatureError).toBe(false);
    expect(isCode(expired, "ERR_TOKEN_INVALID")).toBe(true);
    expect(isOutage(new other.StoreUnavailableError("x"))).toBe(true);
    // And the other way round.
    expect(new InvalidSignatureError("x") instanceof other.InvalidTokenError).toBe(true);
  });

  it("leave an app's own subclass to ordinary instanceof", () => {
    class AppError extends InvalidTokenError {}
    expect(new AppError("x") instanceof InvalidTokenError).toBe(true);
    expect(new AppError("x") instanceof AppError).toBe(true);
    expect(new InvalidTokenError("x") instanceof AppError).toBe(false);
    expect(isCode(new AppError("x"), "ERR_TOKEN_INVALID")).toBe(true);
    expect(new AppError("x").code).toBe("ERR_TOKEN_INVALID");
  });
});
