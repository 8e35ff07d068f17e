import { constants, createHmac, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  InvalidClaimError,
  InvalidSignatureError,
  InvalidTokenError,
  JwksUnavailableError,
  MalformedTokenError,
  TokenExpiredError,
} from "../src/lib/errors.ts";
import { base64Url, signJwt, startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";
import { ENTRY_OVERHEAD } from "../src/lib/lru.ts";
import { base64UrlToBytes } from "../src/lib/base64url.ts";
import { defaultRuntime } from "../src/verify/runtime.ts";
import { TOKEN_BYTES } from "../src/verify/verifier.ts";
import { editSegment, refusal, RUNTIMES, verifierFor } from "./helpers/verify.ts";

const now = () => Math.floor(Date.now() / 1000);
const b64json = (value: unknown) => base64Url(JSON.stringify(value));

let pool: TestIssuer;
let other: TestIssuer;

beforeAll(async () => {
  pool = await startTestIssuer();
  // Another pool, as an attacker who owns one would have: valid keys, its own issuer.
  other = await startTestIssuer({ userPoolId: "local_attacker", clientId: "testclient" });
});
afterAll(async () => {
  await pool.close();
  await other.close();
});

describe("runtime choice", () => {
  it("runs on node:crypto under Node", () => {
    expect(defaultRuntime().name).toBe("node");
  });

  /** `defaultRuntime` of a fresh copy of the module, loaded while `setup` is in force. */
  async function runtimeWith(setup: () => () => void): Promise<string> {
    vi.resetModules();
    const undo = setup();
    try {
      const fresh: typeof import("../src/verify/runtime.ts") = await import("../src/verify/runtime.ts");
      return fresh.defaultRuntime().name;
    } finally {
      undo();
    }
  }

  it("uses WebCrypto where EdgeRuntime is defined, as in Next's Edge sandbox", async () => {
    const holder = globalThis as { EdgeRuntime?: string };
    const name = await runtimeWith(() => {
      holder.EdgeRuntime = "edge-runtime";
      return () => delete holder.EdgeRuntime;
    });
    expect(name).toBe("web");
  });

  it("uses WebCrypto when process.getBuiltinModule throws, as Next's stubbed process does", async () => {
    const original = process.getBuiltinModule;
    const name = await runtimeWith(() => {
      process.getBuiltinModule = (() => {
        throw new Error("A Node.js API is used which is not supported in the Edge Runtime");
      }) as typeof original;
      return () => (process.getBuiltinModule = original);
    });
    expect(name).toBe("web");
  });
});

// The Node runtime decodes into a scratch buffer with room for the UTF-8 of a 32 768-character
// text (3 bytes a character at most) and a signature after it, and allocates past that.
// Inputs at the edge and beyond it (no valid token is: the verifier refuses tokens over
// 32 KB first) still get the exact answer, on both runtimes.
describe.each(RUNTIMES)("runtime primitives at and past any token's size (%s runtime)", (_name, runtime) => {
  it("decodes a 100 KB base64url segment whole", () => {
    const text = `{"a":"${"€".repeat(40_000)}"}`;
    expect(runtime.decodeText(base64Url(text))).toBe(text);
  });

  it.each([32_767, 32_768, 40_000])("verifies RS256 over the UTF-8 bytes of %i three-byte characters, and refuses them changed", async (length) => {
    const { n, e } = pool.key.publicJwk as { n: string; e: string };
    const key = await runtime.importRsaKey(n, e);
    // Ends in "x", so the text fills the scratch room exactly at 32 768 characters and
    // a signature written over its end would change what is verified.
    const input = `${"€".repeat(length - 1)}x`;
    const signature = sign("sha256", Buffer.from(input, "utf8"), pool.key.privateKey).toString("base64url");
    expect(await runtime.verifyRs256(key, input, signature)).toBe(true);
    expect(await runtime.verifyRs256(key, `${input.slice(0, -1)}y`, signature)).toBe(false);
    // A small input after the large one, over its own bytes only.
    const small = "a.b";
    const smallSignature = sign("sha256", Buffer.from(small), pool.key.privateKey).toString("base64url");
    expect(await runtime.verifyRs256(key, small, smallSignature)).toBe(true);
  });

  it("refuses what is not base64url as a signature, without a throw: 4k+1 characters, other alphabets, padding, blanks", async () => {
    const { n, e } = pool.key.publicJwk as { n: string; e: string };
    const key = await runtime.importRsaKey(n, e);
    const good = sign("sha256", Buffer.from("a.b"), pool.key.privateKey).toString("base64url");
    expect(await runtime.verifyRs256(key, "a.b", good)).toBe(true);
    for (const signature of ["a", "AAAAA", good.slice(0, 341)]) expect(await runtime.verifyRs256(key, "a.b", signature)).toBe(false);
    // Node's decoder skips what is not base64url; the verifier refuses such text before it gets here.
    for (const signature of [`${good.slice(0, 340)}+/`, `${good}==`, ` ${good}`, `${good.slice(0, 341)}\u0141`]) {
      expect(typeof (await runtime.verifyRs256(key, "a.b", signature))).toBe("boolean");
    }
  });

  it("refuses a signature longer than any key's, without a crash", async () => {
    const { n, e } = pool.key.publicJwk as { n: string; e: string };
    const key = await runtime.importRsaKey(n, e);
    const long = "A".repeat(3_000);
    expect(await Promise.resolve(runtime.verifyRs256(key, "a.b", long)).catch(() => false)).toBe(false);
  });
});

describe.each(RUNTIMES)("TokenVerifier (%s runtime)", (_name, runtime) => {
  const setup = (options?: Parameters<typeof verifierFor>[2]) => verifierFor([pool], runtime, options);

  it("accepts a Cognito access and ID token, kid with + / = included", async () => {
    const { verifier } = setup();
    expect(pool.key.kid).toMatch(/[+/=]/);
    const access = await verifier.verify(pool.accessToken({ sub: "u-1", scope: "openid orders/read" }), "access");
    expect(access).toMatchObject({ sub: "u-1", token_use: "access", client_id: pool.clientId, scope: "openid orders/read" });
    const id = await verifier.verify(pool.idToken({ sub: "u-1", email: "a@example.com" }), "id");
    expect(id).toMatchObject({ sub: "u-1", token_use: "id", aud: pool.clientId, email: "a@example.com" });
  });

  describe("signature: RS256 with the pool's key, and nothing else", () => {
    it.each(["none", "HS256", "RS384", "RS512", "PS256", "ES256", "rs256", ""])("refuses alg %j even over a valid RS256 signature", async (alg) => {
      const token = pool.accessToken({}, { alg });
      expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
    });

    it("refuses a header without alg", async () => {
      const token = pool.accessToken({}, { alg: undefined });
      expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
    });

    it("refuses alg none with an empty signature", async () => {
      const good = pool.accessToken();
      const token = `${b64json({ alg: "none", kid: pool.key.kid })}.${good.split(".")[1]}.`;
      expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(MalformedTokenError);
    });

    it("refuses HS256 tokens MACed with the pool's public key, as PEM or as modulus bytes", async () => {
      const { verifier } = setup();
      const payload = JSON.parse(Buffer.from(pool.accessToken().split(".")[1]!, "base64url").toString());
      const publicKey = createPublicKey(pool.key.privateKey);
      const spki = publicKey.export({ type: "spki", format: "pem" });
      const pkcs1 = publicKey.export({ type: "pkcs1", format: "pem" });
      const modulus = Buffer.from(pool.key.publicJwk.n!, "base64url");
      for (const secret of [spki, pkcs1, modulus, pool.key.publicJwk.n!]) {
        const input = `${b64json({ alg: "HS256", kid: pool.key.kid })}.${b64json(payload)}`;
        const token = `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
        expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
      }
    });

    it("refuses real RS384, PS256 and ES256 signatures", async () => {
      const { verifier } = setup();
      const payload = JSON.parse(Buffer.from(pool.accessToken().split(".")[1]!, "base64url").toString());
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
      const signers = {
        RS384: (input: string) => sign("sha384", Buffer.from(input), pool.key.privateKey),
        PS256: (input: string) => sign("sha256", Buffer.from(input), { key: pool.key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
        ES256: (input: string) => sign("sha256", Buffer.from(input), { key: ec, dsaEncoding: "ieee-p1363" }),
      };
      for (const [alg, signer] of Object.entries(signers)) {
        const input = `${b64json({ alg, kid: pool.key.kid })}.${b64json(payload)}`;
        const token = `${input}.${base64Url(signer(input))}`;
        expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
      }
    });

    it.each(["jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256"])(
      "refuses a %s header, even over a valid signature, and fetches nothing it names",
      async (param) => {
        const before = other.jwksRequests;
        const value = {
          jku: other.jwksUri,
          x5u: other.jwksUri,
          jwk: other.key.publicJwk,
          x5c: ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
          x5t: "dGh1bWJwcmludA",
          "x5t#S256": "dGh1bWJwcmludA",
        }[param] as never;
        const { verifier } = setup();
        const token = pool.accessToken({}, { [param]: value });
        expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
        // Signed by the attacker's key, naming the attacker's keys: refused just the same.
        const forged = signJwt({ alg: "RS256", kid: other.key.kid, [param]: value }, { ...claimsOf(pool.accessToken()) }, other.key.privateKey);
        await refusal(verifier.verify(forged, "access"), forged);
        expect(other.jwksRequests).toBe(before);
      },
    );

    it("refuses any crit header, even over a valid signature", async () => {
      const { verifier } = setup();
      for (const crit of [["exp"], ["b64"], ["x-custom"]]) {
        const token = pool.accessToken({}, { crit, "x-custom": true, b64: true });
        expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
      }
    });

    it("refuses a tampered payload, header or signature, even after the original was verified", async () => {
      const { verifier } = setup();
      const token = pool.accessToken({ sub: "user-1", scope: "openid" });
      await verifier.verify(token, "access");
      const [header, payload, signature] = token.split(".") as [string, string, string];
      const tampered = [
        editSegment(token, 1, (c) => ({ ...c, sub: "admin" })),
        editSegment(token, 1, (c) => ({ ...c, scope: "openid admin/all" })),
        editSegment(token, 1, (c) => ({ ...c, exp: (c.exp as number) + 86400 })),
        editSegment(token, 0, (h) => ({ ...h, typ: "JWT" })),
        `${header}.${pool.accessToken({ sub: "admin" }).split(".")[1]}.${signature}`,
        `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith("AA") ? "BA" : "AA"}`,
        `${header}.${payload}.${signature.slice(0, 100)}`,
      ];
      for (const token of tampered) {
        expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
      }
    });

    it("refuses a token signed by another pool's valid key under this pool's issuer", async () => {
      const { verifier } = setup();
      const claims = claimsOf(pool.accessToken());
      for (const kid of [pool.key.kid, other.key.kid]) {
        const token = signJwt({ alg: "RS256", kid }, claims, other.key.privateKey);
        expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
      }
    });
  });

  describe("key selection", () => {
    it.each([undefined, "", 42, null, ["k"]])("refuses kid %j", async (kid) => {
      const token = pool.accessToken({}, { kid: kid as never });
      expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
    });

    it("refuses junk kids without a crash, and a 10 KB kid without a fetch", async () => {
      const { verifier, jwks } = setup({ jwks: { cooldownMs: 0 } });
      await verifier.verify(pool.accessToken(), "access");
      for (const kid of ["../../x", "\"'<>\\", "%00", "kid\nwith newline", "x".repeat(300)]) {
        const token = pool.accessToken({}, { kid });
        expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
      }
      const fetches = jwks[0]!.fetches;
      const huge = pool.accessToken({}, { kid: "k".repeat(10 * 1024) });
      expect(await refusal(verifier.verify(huge, "access"), huge)).toBeInstanceOf(InvalidSignatureError);
      expect(jwks[0]!.fetches).toBe(fetches);
    });

    it("answers a flood of unknown kids with one refetch per cooldown, not one each", async () => {
      const { verifier, jwks } = setup();
      await verifier.verify(pool.accessToken(), "access");
      expect(jwks[0]!.fetches).toBe(1);
      const flood = Array.from({ length: 300 }, (_, i) => pool.accessToken({}, { kid: `random-${i}` }));
      const results = await Promise.allSettled(flood.map((t) => verifier.verify(t, "access")));
      expect(results.every((r) => r.status === "rejected" && r.reason instanceof InvalidSignatureError)).toBe(true);
      for (const token of flood.slice(0, 50)) await verifier.verify(token, "access").catch(() => undefined);
      expect(jwks[0]!.fetches).toBe(2);
    });

    it("picks up a rotated-in key with one refetch, and stops trusting a removed one", async () => {
      const issuer = await startTestIssuer();
      try {
        const { verifier, jwks } = verifierFor([issuer], runtime);
        const old = issuer.key.kid;
        const signedByOld = () => issuer.accessToken();
        await verifier.verify(signedByOld(), "access");
        const oldToken = signedByOld();
        issuer.rotate();
        issuer.removeKey(old);
        await verifier.verify(issuer.accessToken(), "access");
        expect(jwks[0]!.fetches).toBe(2);
        expect(await refusal(verifier.verify(oldToken, "access"), oldToken)).toBeInstanceOf(InvalidSignatureError);
      } finally {
        await issuer.close();
      }
    });
  });

  describe("structure", () => {
    const good = () => pool.accessToken().split(".") as [string, string, string];

    it.each([
      ["two segments", () => good().slice(0, 2).join(".")],
      ["four segments", () => [...good(), "AAAA"].join(".")],
      ["five segments (JWE)", () => [...good(), "AAAA", "AAAA"].join(".")],
      ["an empty string", () => ""],
      // One segment that would pass for header and payload if segments were not counted.
      ["a single segment", () => `${b64json({ alg: "RS256", kid: pool.key.kid, iss: pool.issuer, token_use: "access" })}x`],
      ["dots only", () => ".."],
      ["an empty payload", () => `${good()[0]}..${good()[2]}`],
      ["padding in the signature", () => `${good().join(".")}=`],
      ["standard base64 characters in the signature", () => `${good()[0]}.${good()[1]}.+/${good()[2]}`],
      ["whitespace in the signature", () => `${good().join(".")} `],
      ["a header that is not JSON", () => `${base64Url("{alg: RS256}")}.${good()[1]}.${good()[2]}`],
      ["a payload that is not JSON", () => `${good()[0]}.${base64Url("not json")}.${good()[2]}`],
      ["a header that is an array", () => `${b64json(["RS256"])}.${good()[1]}.${good()[2]}`],
      ["an impossible base64 length", () => `${good()[0]}.${good()[1]}A.${good()[2]}`],
      // 341 characters: atob throws a DOMException on it, Node's decoder drops the last one.
      ["a signature of an impossible base64 length", () => `${good()[0]}.${good()[1]}.${good()[2].slice(0, 341)}`],
      ["a validly signed token of more than 32 KB", () => pool.accessToken({ "custom:big": "x".repeat(33 * 1024) })],
      ["not a string", () => 42 as unknown as string],
    ])("refuses %s as malformed", async (_case, make) => {
      const token = make();
      expect(await refusal(setup().verifier.verify(token, "access"), String(token))).toBeInstanceOf(MalformedTokenError);
    });

    // Header and payload text is held to base64url as strictly as the signature, even over a
    // valid signature of that very text: runtimes' decoders differ on anything else (Node's
    // skips it, atob takes "+", "/", "=" and blanks), and jose refuses it.
    it.each([
      ["base64 padding in the header", () => `${good()[0]}=.${good()[1]}.${good()[2]}`],
      ["standard base64 characters in the payload", () => `${good()[0]}.${good()[1]}+/.${good()[2]}`],
      ["leading whitespace", () => ` ${good().join(".")}`],
      [
        "a line break in the payload",
        () => {
          const [h, p, s] = good();
          return `${h}.${p.slice(0, 8)}\n${p.slice(8)}.${s}`;
        },
      ],
      ["a non-ASCII character in the header", () => good().join(".").replace(/A/, "\u0141")],
      [
        "a non-ASCII character in the payload",
        () => {
          const [h, p, s] = good();
          return `${h}.${p.replace(/A/, "\u0141")}.${s}`;
        },
      ],
    ])("refuses %s as malformed, even signed over that text by the pool's key", async (_case, make) => {
      const token = make();
      const dot = token.lastIndexOf(".");
      const signed = `${token.slice(0, dot)}.${sign("sha256", Buffer.from(token.slice(0, dot)), pool.key.privateKey).toString("base64url")}`;
      for (const candidate of [token, signed]) {
        expect(await refusal(setup().verifier.verify(candidate, "access"), candidate)).toBeInstanceOf(MalformedTokenError);
      }
    });

    it("refuses a header or payload whose bytes are not UTF-8 as malformed, even signed (jose refuses it too)", async () => {
      const payload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(good()[1], "base64url").toString()), name: "a__b" }));
      payload.set([0xff, 0xfe], payload.indexOf("__"));
      const header = Buffer.from(JSON.stringify({ alg: "RS256", kid: pool.key.kid, typ: "__" }));
      header.set([0xc3, 0x28], header.indexOf("__"));
      for (const input of [`${base64Url(header)}.${good()[1]}`, `${good()[0]}.${base64Url(payload)}`]) {
        const token = `${input}.${sign("sha256", Buffer.from(input), pool.key.privateKey).toString("base64url")}`;
        expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(MalformedTokenError);
      }
    });

    it("checks the signature over the signed text's UTF-8 bytes, so no character can stand in for another", async () => {
      const { jwks } = setup();
      const token = pool.accessToken({ name: "A" });
      const dot = token.lastIndexOf(".");
      const [input, signature] = [token.slice(0, dot), token.slice(dot + 1)];
      await expect(Promise.resolve(jwks[0]!.verify(pool.key.kid, input, signature))).resolves.toBe(true);
      // U+0141 and "A" share their low byte: Latin-1 would make these the same bytes.
      const lookalike = input.replace(/A/, "\u0141");
      expect(lookalike).not.toBe(input);
      await expect(Promise.resolve(jwks[0]!.verify(pool.key.kid, lookalike, signature))).resolves.toBe(false);
    });

    describe("base64UrlToBytes, the decoder every runtime has", () => {
      it("decodes base64url, and answers anything else with undefined, never a throw", () => {
        expect(base64UrlToBytes("QUJD")).toEqual(new Uint8Array([65, 66, 67]));
        expect(base64UrlToBytes("-_8")).toEqual(new Uint8Array(Buffer.from("-_8", "base64url")));
        expect(base64UrlToBytes("")).toEqual(new Uint8Array(0));
        // "a" is the whole of the cookie `__Host-ncs.id=a`: atob throws a DOMException on 4k+1 characters.
        for (const text of ["a", "AAAAA", "QUJD=", "QU+D", "QU/D", "QU D", "QU\nJD", "QUJ\u00c4", "%%%%"]) {
          expect(base64UrlToBytes(text), JSON.stringify(text)).toBeUndefined();
        }
      });
    });

    // The Node runtime decodes every token into one reused buffer: a large token and a small
    // one after it, each verified over its own bytes only.
    it("verifies tokens near the 32 KB cap and small ones after them, refusing either tampered", async () => {
      const { verifier } = setup();
      const big = pool.accessToken({ "custom:big": "x".repeat(23_300) });
      expect(big.length).toBeGreaterThan(31_500);
      expect(big.length).toBeLessThanOrEqual(32 * 1024);
      const small = pool.accessToken({ name: "Łukasz Żółć" });
      for (let round = 0; round < 2; round++) {
        await expect(verifier.verify(big, "access")).resolves.toMatchObject({ "custom:big": "x".repeat(23_300) });
        await expect(verifier.verify(small, "access")).resolves.toMatchObject({ name: "Łukasz Żółć" });
      }
      // One character of the payload changed, halfway through it.
      const tampered = (token: string) => {
        const at = token.indexOf(".") + Math.floor(token.split(".")[1]!.length / 2);
        return `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
      };
      for (const token of [tampered(big), tampered(small)]) {
        expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidTokenError);
      }
    });

    it("still verifies when something has added an object to Object.prototype", async () => {
      const proto = Object.prototype as Record<string, unknown>;
      proto.appConfig = { nested: {} };
      try {
        await expect(setup().verifier.verify(pool.accessToken(), "access")).resolves.toMatchObject({ token_use: "access" });
      } finally {
        delete proto.appConfig;
      }
    });

    it("decodes each distinct header once, then knows it by its text", async () => {
      let decoded = 0;
      const counting: typeof runtime = {
        ...runtime,
        decodeText: (segment) => {
          decoded++;
          return runtime.decodeText(segment);
        },
      };
      const { verifier } = verifierFor([pool], counting);
      await verifier.verify(pool.accessToken(), "access");
      expect(decoded).toBe(2); // the header and the payload
      await verifier.verify(pool.accessToken(), "access");
      await verifier.verify(pool.idToken(), "id");
      expect(decoded).toBe(4); // the payloads only: the same header
    });

    it.each([
      ["an array", [1, 2, 3]],
      ["null", null],
      ["a number", 42],
      ["a string", "claims"],
    ])("refuses a validly signed payload that is %s", async (_case, payload) => {
      const token = signJwt({ alg: "RS256", kid: pool.key.kid }, payload as never, pool.key.privateKey);
      expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(MalformedTokenError);
    });

    it.each([
      ['{"__proto__":{"admin":true}}'],
      ['{"constructor":{"prototype":{"admin":true}}}'],
      ['{"address":{"__proto__":{"admin":true}}}'],
      ['{"custom:list":[{"__proto__":{"admin":true}}]}'],
      ['{"prototype":1}'],
    ])("refuses a validly signed payload with an unsafe key %s, polluting nothing", async (extra) => {
      const token = pool.accessToken(JSON.parse(extra));
      expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(MalformedTokenError);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty("admin");
    });

    it("refuses nesting deeper than 16 levels", async () => {
      let deep: unknown = "x";
      for (let i = 0; i < 20; i++) deep = { d: deep };
      const token = pool.accessToken({ deep: deep as never });
      expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(MalformedTokenError);
    });

    it("refuses arrays nested too deeply, as it does objects", async () => {
      let deep: unknown = "x";
      for (let i = 0; i < 20; i++) deep = [deep];
      const token = pool.accessToken({ deep: deep as never });
      expect(await refusal(setup().verifier.verify(token, "access"), token)).toBeInstanceOf(MalformedTokenError);
    });

    it("freezes objects held in arrays of verified claims", async () => {
      const token = pool.accessToken({ "custom:list": [{ role: "user" }] as never });
      const claims = await setup().verifier.verify(token, "access");
      const list = claims["custom:list"] as { role: string }[];
      expect(Object.isFrozen(list)).toBe(true);
      expect(Object.isFrozen(list[0])).toBe(true);
    });

    it("freezes verified claims, nested ones too, so one reader cannot change them for the next", async () => {
      const { verifier } = setup();
      const token = pool.accessToken({ "cognito:groups": ["users"], address: { formatted: "1 Main St" } });
      const claims = await verifier.verify(token, "access");
      expect(Object.isFrozen(claims)).toBe(true);
      expect(Object.isFrozen(claims["cognito:groups"])).toBe(true);
      expect(Object.isFrozen(claims.address)).toBe(true);
      expect(() => (claims["cognito:groups"] as string[]).push("admins")).toThrow();
    });
  });

  describe("claims", () => {
    it.each([
      ["exp", "9999999999"],
      ["iat", String(now())],
      ["nbf", "0"],
      ["auth_time", "0"],
      ["exp", null],
      ["exp", true],
    ])("refuses %s given as %j", async (claim, value) => {
      const token = pool.accessToken({ [claim]: value as never });
      const error = await refusal(setup().verifier.verify(token, "access"), token);
      expect(error).toBeInstanceOf(InvalidClaimError);
      expect((error as InvalidClaimError).claim).toBe(claim);
    });

    it.each([
      ["sub", 42],
      ["client_id", 42],
      ["scope", ["openid"]],
      ["username", 42],
      ["cognito:groups", "admins"],
      ["cognito:groups", [1]],
      ["jti", 42],
      ["cognito:username", ["alice"]],
    ])("refuses %s of the wrong type (%j)", async (claim, value) => {
      const token = pool.accessToken({ [claim]: value as never });
      const error = await refusal(setup().verifier.verify(token, "access"), token);
      expect((error as InvalidClaimError).claim).toBe(claim);
    });

    it.each(["exp", "iat", "sub", "token_use"])("requires %s", async (claim) => {
      const token = pool.accessToken({ [claim]: undefined });
      const error = await refusal(setup().verifier.verify(token, "access"), token);
      expect((error as InvalidClaimError).claim).toBe(claim);
    });

    it("refuses a token expired beyond the clock tolerance and accepts one inside it", async () => {
      const { verifier } = setup({ clockTolerance: 5 });
      const expired = pool.accessToken({ iat: now() - 3600, exp: now() - 10 });
      expect(await refusal(verifier.verify(expired, "access"), expired)).toBeInstanceOf(TokenExpiredError);
      await expect(verifier.verify(pool.accessToken({ iat: now() - 3600, exp: now() - 2 }), "access")).resolves.toBeDefined();
    });

    it.each(["nbf", "iat"])("refuses %s in the future beyond the tolerance and accepts it inside", async (claim) => {
      const { verifier } = setup({ clockTolerance: 5 });
      const early = pool.accessToken({ [claim]: now() + 60 });
      const error = await refusal(verifier.verify(early, "access"), early);
      expect((error as InvalidClaimError).claim).toBe(claim);
      await expect(verifier.verify(pool.accessToken({ [claim]: now() + 2 }), "access")).resolves.toBeDefined();
    });

    it("matches iss exactly: no trailing slash, scheme, case, pool or region variants", async () => {
      const issuer = await startTestIssuer({ issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123" });
      try {
        const { verifier } = verifierFor([issuer], runtime);
        await expect(verifier.verify(issuer.accessToken(), "access")).resolves.toBeDefined();
        for (const iss of [
          "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/",
          "http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
          "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc123",
          "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other1",
          "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123",
          "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
          " https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        ]) {
          const token = issuer.accessToken({ iss });
          const error = await refusal(verifier.verify(token, "access"), token);
          expect((error as InvalidClaimError).claim).toBe("iss");
        }
        const none = issuer.accessToken({ iss: undefined });
        expect(((await refusal(verifier.verify(none, "access"), none)) as InvalidClaimError).claim).toBe("iss");
      } finally {
        await issuer.close();
      }
    });

    it("takes the issuer-cognito-idp form when that is the one configured", async () => {
      const issuer = await startTestIssuer({ issuer: "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123" });
      try {
        const { verifier } = verifierFor([issuer], runtime);
        await expect(verifier.verify(issuer.accessToken(), "access")).resolves.toBeDefined();
        const classic = issuer.accessToken({ iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123" });
        expect(((await refusal(verifier.verify(classic, "access"), classic)) as InvalidClaimError).claim).toBe("iss");
      } finally {
        await issuer.close();
      }
    });

    it("refuses an ID token in the access slot and an access token in the ID slot, cached or not", async () => {
      const { verifier } = setup();
      const id = pool.idToken();
      const access = pool.accessToken();
      expect(((await refusal(verifier.verify(id, "access"), id)) as InvalidClaimError).claim).toBe("token_use");
      expect(((await refusal(verifier.verify(access, "id"), access)) as InvalidClaimError).claim).toBe("token_use");
      await verifier.verify(id, "id");
      await verifier.verify(access, "access");
      expect(((await refusal(verifier.verify(id, "access"), id)) as InvalidClaimError).claim).toBe("token_use");
      expect(((await refusal(verifier.verify(access, "id"), access)) as InvalidClaimError).claim).toBe("token_use");
    });

    it("requires client_id of a configured client on access tokens and aud on ID tokens", async () => {
      const { verifier } = setup();
      const cases: Array<[string, "access" | "id", string]> = [
        [pool.accessToken({ client_id: "otherclient" }), "access", "client_id"],
        [pool.accessToken({ client_id: undefined, aud: pool.clientId }), "access", "client_id"],
        [pool.idToken({ aud: "otherclient" }), "id", "aud"],
        [pool.idToken({ aud: [pool.clientId] }), "id", "aud"],
        [pool.idToken({ aud: undefined, client_id: pool.clientId }), "id", "aud"],
      ];
      for (const [token, use, claim] of cases) {
        expect(((await refusal(verifier.verify(token, use), token)) as InvalidClaimError).claim).toBe(claim);
      }
    });

    it("accepts a machine-to-machine access token: client_id and scope, no username", async () => {
      const claims = await setup().verifier.verify(pool.machineToken("orders/read orders/write"), "access");
      expect(claims).toMatchObject({ sub: pool.clientId, client_id: pool.clientId, scope: "orders/read orders/write" });
      expect(claims.username).toBeUndefined();
    });
  });

  describe("verified-token cache", () => {
    it("re-checks exp on a hit", async () => {
      const { verifier } = setup({ clockTolerance: 0 });
      const token = pool.accessToken({ exp: now() + 60 });
      await verifier.verify(token, "access");
      expect(verifier.cachedTokens).toBe(1);
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61_000 });
      try {
        expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(TokenExpiredError);
        expect(verifier.cachedTokens).toBe(0);
      } finally {
        vi.useRealTimers();
      }
    });

    it("is bounded by its size, least recently used out first", async () => {
      const { verifier, jwks } = setup({ cacheSize: 3 });
      const tokens = Array.from({ length: 5 }, () => pool.accessToken());
      for (const token of tokens) await verifier.verify(token, "access");
      expect(verifier.cachedTokens).toBe(3);
      // The newest three are hits: served even with the keys gone; the oldest needs them.
      pool.jwksMode = "down";
      try {
        for (const token of tokens.slice(2)) await verifier.verify(token, "access");
        expect(jwks[0]!.fetches).toBe(1);
      } finally {
        pool.jwksMode = "up";
      }
    });

    it("counts large tokens for their size: no more than cacheSize × TOKEN_BYTES of memory, however large they are", async () => {
      const { verifier } = setup({ cacheSize: 3 });
      for (let i = 0; i < 3; i++) await verifier.verify(pool.accessToken(), "access");
      expect(verifier.cachedTokens).toBe(3);
      const large = Array.from({ length: 3 }, () => pool.accessToken({ "custom:blob": "x".repeat(TOKEN_BYTES / 2) }));
      for (const token of large) await verifier.verify(token, "access");
      // Each is its characters twice over (the token, the claims decoded from it).
      const fit = Math.floor((3 * TOKEN_BYTES) / (2 * large[0]!.length + ENTRY_OVERHEAD));
      expect(fit).toBeLessThan(3);
      expect(verifier.cachedTokens).toBe(fit);
    });

    it("never caches a refused token, so a flood of garbage leaves it empty", async () => {
      const { verifier } = setup();
      const good = pool.accessToken().split(".");
      for (let i = 0; i < 2000; i++) {
        const junk = i % 2 === 0 ? `${good[0]}.${good[1]}.${base64Url(`sig-${i}`)}` : `garbage-${i}`;
        await verifier.verify(junk, "access").catch(() => undefined);
      }
      expect(verifier.cachedTokens).toBe(0);
    });
  });

  it("names every refusal with a stable code", async () => {
    const { verifier } = setup();
    const codes = async (token: string, use: "access" | "id" = "access") => {
      const error = await refusal(verifier.verify(token, use), token);
      return [error.code, error instanceof InvalidClaimError ? error.claim : undefined];
    };
    expect(await codes(pool.accessToken({ exp: now() - 60 }))).toEqual(["ERR_TOKEN_EXPIRED", undefined]);
    expect(await codes(pool.accessToken({}, { alg: "HS256" }))).toEqual(["ERR_TOKEN_SIGNATURE", undefined]);
    expect(await codes(pool.accessToken({ client_id: "x" }))).toEqual(["ERR_TOKEN_CLAIM", "client_id"]);
    expect(await codes("a.b")).toEqual(["ERR_TOKEN_MALFORMED", undefined]);
    for (const error of [new TokenExpiredError("x"), new MalformedTokenError("x")]) expect(error).toBeInstanceOf(InvalidTokenError);
  });

  it("says JWKS unavailable, not invalid, when the pool's keys cannot be had", async () => {
    const issuer = await startTestIssuer();
    issuer.jwksMode = "down";
    try {
      const token = issuer.accessToken();
      const { verifier } = verifierFor([issuer], runtime);
      const error = await refusal(verifier.verify(token, "access"), token);
      expect(error).toBeInstanceOf(JwksUnavailableError);
      expect(error.code).toBe("ERR_JWKS_UNAVAILABLE");
    } finally {
      await issuer.close();
    }
  });
});

function claimsOf(token: string): Record<string, never> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
}
