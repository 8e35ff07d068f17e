import { describe, expect, it } from "vitest";
import { listenHost, signInLine } from "../scripts/app-address.mjs";

describe("where npm run dev and example:start serve the example, and what they print", () => {
  it("listens on APP_URL's own loopback name, so Next's Local: line is APP_URL's origin; elsewhere on 127.0.0.1; HOST wins", () => {
    expect(listenHost("http://localhost:3000")).toBe("localhost");
    expect(listenHost("http://127.0.0.1:3000")).toBe("127.0.0.1");
    expect(listenHost("http://[::1]:3000")).toBe("::1");
    expect(listenHost("https://app.example.com")).toBe("127.0.0.1");
    expect(listenHost("http://localhost:3000", "0.0.0.0")).toBe("0.0.0.0");
  });

  it("names APP_URL's origin as the address to sign in at", () => {
    const info = { users: ["alice@example.com", "bob@example.com"], password: "Passw0rd!" };
    expect(signInLine("http://localhost:3000", info)).toBe("Sign in at http://localhost:3000/ as alice@example.com or bob@example.com with password Passw0rd!");
    expect(signInLine("https://app.example.com/", undefined)).toBe("Open https://app.example.com/");
  });
});
