import { createHash } from "node:crypto";
import fc from "fast-check";
import { generateKeyPair } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CognitoSessionOptions } from "../src/index.ts";
import { signIn } from "../src/flows/sign-in.ts";
import { MAX_PENDING, MAX_TRANSACTION_COOKIES, TRANSACTION_TTL } from "../src/persistence/transactions.ts";
import { APP_URL, TestBrowser } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { coreOf } from "../src/internal.ts";

const fake = useFakeCognito();
afterEach(() => {
  vi.useRealTimers();
});

/** An app against the fake Cognito, with real-Cognito settings (nonce required) unless told. */
const fakeApp = (options: CognitoSessionOptions = {}) => fake.app(options);

/** Start a sign-in; the hosted-UI URL's parameters. */
async function begin(browser: TestBrowser, returnTo = "/dashboard") {
  const response = await browser.fetch(`/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
  expect(response.status).toBe(302);
  const url = new URL(response.headers.get("location")!);
  const param = (name: string) => url.searchParams.get(name)!;
  return { response, url, state: param("state"), nonce: param("nonce"), challenge: param("code_challenge") };
}

/** Token endpoint answers that carry the nonce of the authorization request. */
function answerWithNonce(nonceOf: () => string) {
  fake.onToken = async () => ({ status: 200, body: await fake.tokenSet({ nonce: nonceOf() }) });
}

/** Session cookies a response sets (deletions aside). */
const sessionSet = (response: Response) => response.headers.getSetCookie().filter((line) => /^__Host-ncs\.(at|s)[.=]/.test(line) && !/max-age=0/i.test(line));

const tokenCalls = () => fake.count("/oauth2/token");

describe("hosted-UI sign-in start", () => {
  it("asks for the authorization code with PKCE S256, state and nonce, and seals them in a short-lived cookie", async () => {
    const browser = new TestBrowser(fakeApp());
    const { response, url, state, nonce, challenge } = await begin(browser, "/dashboard?tab=1");
    expect(url.origin + url.pathname).toBe(`${fake.url}/oauth2/authorize`);
    expect(url.searchParams.get("client_id")).toBe(fake.clientId);
    expect(url.searchParams.get("response_type")).toBe("code");
    expect(url.searchParams.get("redirect_uri")).toBe(`${APP_URL}/auth/callback`);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(state).toMatch(/^[\w-]{43,}$/);
    expect(nonce).toMatch(/^[\w-]{43,}$/);
    expect(challenge).toMatch(/^[\w-]{43}$/);

    const [line] = response.headers.getSetCookie();
    expect(line).toMatch(new RegExp(`^__Host-ncs\\.tx\\.${state.slice(0, 16)}=`));
    expect(line).toMatch(/; Max-Age=600;/);
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    // Sealed: nothing of the transaction can be read from the cookie.
    for (const secret of [state, nonce, "dashboard"]) expect(line!.split(";")[0]).not.toContain(secret);

    answerWithNonce(() => nonce);
    const callback = await browser.fetch(`/auth/callback?code=the-code&state=${state}`);
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe(`${APP_URL}/dashboard?tab=1`);
    // The token endpoint got the verifier whose S256 hash is the challenge sent earlier.
    const [exchange] = fake.calls.filter((c) => c.path === "/oauth2/token");
    expect(exchange!.body).toMatchObject({ grant_type: "authorization_code", code: "the-code", redirect_uri: `${APP_URL}/auth/callback` });
    expect(createHash("sha256").update(exchange!.body.code_verifier).digest("base64url")).toBe(challenge);
    expect([...browser.cookies.keys()].sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
  });
});

describe("callback: bad state calls nothing and sets nothing", () => {
  async function expectRefused(response: Response) {
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    expect(sessionSet(response)).toEqual([]);
    expect(tokenCalls()).toBe(0);
  }

  it("refuses a callback without state", async () => {
    const browser = new TestBrowser(fakeApp());
    await begin(browser);
    await expectRefused(await browser.fetch("/auth/callback?code=c"));
  });

  it("refuses a state that matches no transaction", async () => {
    const browser = new TestBrowser(fakeApp());
    const { state } = await begin(browser);
    await expectRefused(await browser.fetch(`/auth/callback?code=c&state=${state.slice(0, 16)}${"x".repeat(27)}`));
    await expectRefused(await browser.fetch(`/auth/callback?code=c&state=${"y".repeat(600)}`));
  });

  it("refuses a callback whose transaction cookie is missing (another browser started it)", async () => {
    const app = fakeApp();
    const { state } = await begin(new TestBrowser(app));
    await expectRefused(await new TestBrowser(app).fetch(`/auth/callback?code=c&state=${state}`));
  });

  it("refuses a tampered transaction cookie", async () => {
    const browser = new TestBrowser(fakeApp());
    const { state } = await begin(browser);
    const name = [...browser.cookies.keys()].find((n) => n.startsWith("__Host-ncs.tx."))!;
    const value = browser.cookies.get(name)!;
    browser.cookies.set(name, value.slice(0, 40) + (value[40] === "A" ? "B" : "A") + value.slice(41));
    await expectRefused(await browser.fetch(`/auth/callback?code=c&state=${state}`));
  });

  it("refuses a transaction sealed for another state, moved under this state's name", async () => {
    const browser = new TestBrowser(fakeApp());
    const first = await begin(browser);
    const second = await begin(browser);
    const firstName = `__Host-ncs.tx.${first.state.slice(0, 16)}`;
    browser.cookies.set(`__Host-ncs.tx.${second.state.slice(0, 16)}`, browser.cookies.get(firstName)!);
    await expectRefused(await browser.fetch(`/auth/callback?code=c&state=${second.state}`));
  });

  it("will not hand out a transaction under another state's name, even before oauth4webapi checks the state", async () => {
    const app = fakeApp();
    const browser = new TestBrowser(app);
    const first = await begin(browser);
    const second = await begin(browser);
    const jar = new Map([[coreOf(app).transactions.cookieName(second.state), [browser.cookies.get(coreOf(app).transactions.cookieName(first.state))!]]]);
    expect((await coreOf(app).transactions.take(jar, second.state)).transaction).toBeUndefined();
    const own = new Map([[coreOf(app).transactions.cookieName(first.state), jar.get(coreOf(app).transactions.cookieName(second.state))!]]);
    expect((await coreOf(app).transactions.take(own, first.state)).transaction?.nonce).toBe(first.nonce);
  });

  it("refuses a transaction cookie sent twice", async () => {
    const browser = new TestBrowser(fakeApp());
    const { state } = await begin(browser);
    const name = `__Host-ncs.tx.${state.slice(0, 16)}`;
    const cookie = `${name}=${browser.cookies.get(name)}; ${name}=${browser.cookies.get(name)}`;
    await expectRefused(await browser.fetch(`/auth/callback?code=c&state=${state}`, { headers: { cookie } }));
  });

  it("refuses a transaction older than its lifetime", async () => {
    const browser = new TestBrowser(fakeApp());
    const { state } = await begin(browser);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + (TRANSACTION_TTL + 5) * 1000 });
    await expectRefused(await browser.fetch(`/auth/callback?code=c&state=${state}`));
  });

  it("uses a transaction once: a replayed state (cookie and all) is refused without calling Cognito", async () => {
    const browser = new TestBrowser(fakeApp());
    const { state, nonce } = await begin(browser);
    const saved = new Map(browser.cookies);
    answerWithNonce(() => nonce);
    const first = await browser.fetch(`/auth/callback?code=c&state=${state}`);
    expect(first.status).toBe(302);
    expect(tokenCalls()).toBe(1);
    // The first answer deleted the transaction cookie.
    expect(first.headers.getSetCookie().some((l) => l.startsWith(`__Host-ncs.tx.${state.slice(0, 16)}=;`) && /Max-Age=0/.test(l))).toBe(true);

    fake.calls.length = 0;
    const replayer = new TestBrowser(browser.app);
    for (const [name, value] of saved) replayer.cookies.set(name, value);
    await expectRefused(await replayer.fetch(`/auth/callback?code=c&state=${state}`));
    // The same browser, its cookie already gone, is refused as well.
    await expectRefused(await browser.fetch(`/auth/callback?code=c&state=${state}`));
  });
});

describe("callback: error answers", () => {
  it("shows a cancelled page for access_denied, deletes the transaction and calls nothing", async () => {
    const browser = new TestBrowser(fakeApp());
    const { state } = await begin(browser);
    const response = await browser.fetch(`/auth/callback?error=access_denied&error_description=nope&state=${state}`);
    expect(response.status).toBe(403);
    const page = await response.text();
    expect(page).toContain("Sign-in cancelled");
    expect(page).toContain('href="/auth/sign-in"');
    expect(sessionSet(response)).toEqual([]);
    expect([...browser.cookies.keys()].filter((n) => n.startsWith("__Host-ncs.tx."))).toEqual([]);
    expect(tokenCalls()).toBe(0);
  });

  it("names a plain error code and never echoes anything else", async () => {
    const browser = new TestBrowser(fakeApp());
    let { state } = await begin(browser);
    const plain = await browser.fetch(`/auth/callback?error=server_error&state=${state}`);
    expect(plain.status).toBe(400);
    expect(await plain.text()).toContain("server_error");

    ({ state } = await begin(browser));
    const hostile = await browser.fetch(`/auth/callback?error=${encodeURIComponent("<script>x</script>")}&state=${state}`);
    expect(hostile.status).toBe(400);
    const page = await hostile.text();
    expect(page).not.toContain("<script>");
    expect(page).toContain("unknown_error");
    expect(tokenCalls()).toBe(0);
  });
});

describe("callback: the code exchange", () => {
  async function callbackWith(answer: () => Promise<{ status: number; body: unknown }>, options: CognitoSessionOptions = {}) {
    const browser = new TestBrowser(fakeApp(options));
    const { state } = await begin(browser);
    fake.onToken = answer;
    const response = await browser.fetch(`/auth/callback?code=c&state=${state}`);
    expect(tokenCalls()).toBe(1);
    return { response, browser };
  }

  it("fails cleanly on a code that was already used (invalid_grant)", async () => {
    const { response, browser } = await callbackWith(async () => ({
      status: 400,
      body: { error: "invalid_grant", error_description: "Authorization code expired or invalid" },
    }));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Sign-in failed");
    expect(sessionSet(response)).toEqual([]);
    expect([...browser.cookies.keys()]).toEqual([]);
  });

  it("answers 503 and sets nothing when the token endpoint fails", async () => {
    const { response } = await callbackWith(async () => ({ status: 502, body: { message: "bad gateway" } }));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    // The page says which service failed, and nothing of what it answered.
    const page = await response.text();
    expect(page).toContain("Sign-in cannot be completed: Cognito cannot be reached right now.");
    expect(page).not.toContain("bad gateway");
    expect(sessionSet(response)).toEqual([]);
  });

  it("checks the nonce: a wrong or missing one sets nothing", async () => {
    for (const nonce of ["not-the-nonce", undefined]) {
      fake.calls.length = 0;
      const { response } = await callbackWith(async () => ({ status: 200, body: await fake.tokenSet({ nonce }) }));
      expect(response.status).toBe(400);
      expect(sessionSet(response)).toEqual([]);
    }
  });

  it("with dev.allowMissingNonce, accepts an ID token without nonce but still checks one that has it", async () => {
    const relaxed = { dev: { allowMissingNonce: true } };
    const missing = await callbackWith(async () => ({ status: 200, body: await fake.tokenSet() }), relaxed);
    expect(missing.response.status).toBe(302);
    fake.calls.length = 0;
    const wrong = await callbackWith(async () => ({ status: 200, body: await fake.tokenSet({ nonce: "forged" }) }), relaxed);
    expect(wrong.response.status).toBe(400);
    expect(sessionSet(wrong.response)).toEqual([]);
  });

  it("verifies the tokens: another key, another audience or another user sets nothing", async () => {
    const { privateKey: stranger } = await generateKeyPair("RS256");
    const forged: Array<(nonce: string) => Promise<unknown>> = [
      // ID token signed with a key the pool's JWKS does not hold.
      async (nonce) => ({
        ...(await fake.tokenSet({ nonce })),
        id_token: await fake.sign({ sub: "11111111-2222-3333-4444-555555555555", token_use: "id", aud: fake.clientId, nonce }, stranger as CryptoKey),
      }),
      // Access token signed with a stranger's key.
      async (nonce) => ({
        ...(await fake.tokenSet({ nonce })),
        access_token: await fake.sign({ sub: "11111111-2222-3333-4444-555555555555", token_use: "access", client_id: fake.clientId }, stranger as CryptoKey),
      }),
      // Access token issued to another client.
      async (nonce) => ({
        ...(await fake.tokenSet({ nonce })),
        access_token: await fake.sign({ sub: "11111111-2222-3333-4444-555555555555", token_use: "access", client_id: "otherclient" }),
      }),
      // ID token of another user than the access token.
      async (nonce) => fake.tokenSet({ nonce, idClaims: { sub: "99999999-2222-3333-4444-555555555555" } }),
    ];
    for (const body of forged) {
      fake.calls.length = 0;
      const browser = new TestBrowser(fakeApp());
      const { state, nonce } = await begin(browser);
      fake.onToken = async () => ({ status: 200, body: await body(nonce) });
      const response = await browser.fetch(`/auth/callback?code=c&state=${state}`);
      expect(response.status).toBe(400);
      expect(sessionSet(response)).toEqual([]);
      expect(tokenCalls()).toBe(1);
    }
  });
});

describe("parallel sign-ins and session fixation", () => {
  it("lets sign-ins started in parallel tabs finish in any order", async () => {
    const browser = new TestBrowser(fakeApp());
    const tabs = [await begin(browser, "/one"), await begin(browser, "/two"), await begin(browser, "/three")];
    for (const index of [1, 0, 2]) {
      const tab = tabs[index]!;
      answerWithNonce(() => tab.nonce);
      const response = await browser.fetch(`/auth/callback?code=c${index}&state=${tab.state}`);
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe(`${APP_URL}${["/one", "/two", "/three"][index]}`);
    }
  });

  it(`keeps at most ${MAX_PENDING} sign-ins in flight, dropping the oldest`, async () => {
    const browser = new TestBrowser(fakeApp());
    const tabs = [];
    for (let i = 0; i < MAX_PENDING + 3; i++) tabs.push(await begin(browser));
    const pending = [...browser.cookies.keys()].filter((n) => n.startsWith("__Host-ncs.tx."));
    expect(pending).toHaveLength(MAX_PENDING);
    expect(pending.sort()).toEqual(
      tabs
        .slice(-MAX_PENDING)
        .map((t) => `__Host-ncs.tx.${t.state.slice(0, 16)}`)
        .sort(),
    );
    const oldest = await browser.fetch(`/auth/callback?code=c&state=${tabs[0]!.state}`);
    expect(oldest.status).toBe(400);
    expect(tokenCalls()).toBe(0);
  });

  it("drops unreadable transaction cookies when a new sign-in starts", async () => {
    const browser = new TestBrowser(fakeApp());
    browser.cookies.set("__Host-ncs.tx.AAAAAAAAAAAAAAAA", "garbage");
    const { response } = await begin(browser);
    expect(response.headers.getSetCookie().some((l) => /^__Host-ncs\.tx\.AAAAAAAAAAAAAAAA=;.*Max-Age=0/.test(l))).toBe(true);
  });

  it("replaces every session cookie present before sign-in (no session fixation)", async () => {
    const app = fakeApp();
    // A session planted for another user, plus stray chunks of both cookies.
    const { browser, tokens: planted } = await fake.signedIn(app, { sub: "99999999-2222-3333-4444-555555555555" });
    const plantedAccess = browser.cookies.get("__Host-ncs.at");
    browser.cookies.set("__Host-ncs.at.1", "stray");
    browser.cookies.set("__Host-ncs.s.2", "stray");

    const { state, nonce } = await begin(browser);
    answerWithNonce(() => nonce);
    const response = await browser.fetch(`/auth/callback?code=c&state=${state}`);
    expect(response.status).toBe(302);
    expect([...browser.cookies.keys()].sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
    expect(browser.cookies.get("__Host-ncs.at")).not.toBe(plantedAccess);
    const tokens = await coreOf(app).storage.read(new Map([...browser.cookies].map(([n, v]) => [n, [v]])));
    expect(tokens!.refreshToken).not.toBe(planted.refresh_token);
    const session = await coreOf(app).reader.fromTokens(tokens!);
    expect(session.status === "valid" && session.session.user?.sub).toBe("11111111-2222-3333-4444-555555555555");
  });
});

describe("a flood of transaction cookies", () => {
  const txName = (i: number) => `__Host-ncs.tx.${i.toString(36).padStart(16, "f")}`;
  const setCookies = (response: Response) => response.headers.getSetCookie();

  it("property: however many are sent, a sign-in start opens at most MAX_PENDING - 1 and answers with a bounded number of Set-Cookie", async () => {
    const app = fakeApp();
    // Real transaction seals (anyone may start sign-ins and keep the cookies), and forgeries.
    const real: string[] = [];
    for (let i = 0; i < 3; i++) {
      const started = await signIn(coreOf(app), new Request(`${APP_URL}/auth/sign-in`));
      real.push(setCookies(started)[0]!.split(";")[0]!.split("=").slice(1).join("="));
    }
    const value = fc.oneof(fc.constantFrom(...real), fc.constantFrom("x", "", "Fe26.2*1*", real[0]!.slice(0, -3)), fc.string({ maxLength: 30 }));
    const unseal = vi.spyOn(coreOf(app).sealer, "unseal");
    await fc.assert(
      fc.asyncProperty(fc.array(value, { maxLength: 300 }), fc.boolean(), async (values, duplicate) => {
        const pairs = values.map((v, i) => `${txName(i)}=${v}`);
        // A name sent twice is refused rather than guessed at; it is still deleted.
        if (duplicate && pairs.length > 0) pairs.push(pairs[0]!);
        unseal.mockClear();
        const response = await signIn(coreOf(app), new Request(`${APP_URL}/auth/sign-in`, { headers: { cookie: pairs.join("; ") } }));
        expect(response.status).toBe(302);
        expect(unseal.mock.calls.length).toBeLessThanOrEqual(MAX_PENDING - 1);
        const lines = setCookies(response);
        // The new transaction's cookie, and deletions of at most the names a browser could hold.
        expect(lines.filter((l) => !/max-age=0/i.test(l))).toHaveLength(1);
        expect(lines.length).toBeLessThanOrEqual(MAX_TRANSACTION_COOKIES + 1);
        // A sign-out's clearing is bounded the same way.
        const jar = new Map<string, string[]>();
        for (const pair of pairs) {
          const [name, ...rest] = pair.split("=");
          jar.set(name!, [...(jar.get(name!) ?? []), rest.join("=")]);
        }
        expect(coreOf(app).transactions.clear(jar).remove.length).toBeLessThanOrEqual(MAX_TRANSACTION_COOKIES + 1);
      }),
      { numRuns: 40 },
    );
  });

  it(`keeps the newest ${MAX_PENDING - 1} sign-ins of a browser whose Cookie header also carries hundreds of forged ones`, async () => {
    const browser = new TestBrowser(fakeApp());
    const tabs = [];
    for (let i = 0; i < MAX_PENDING - 1; i++) tabs.push(await begin(browser));
    // Forged cookies come first in the header: a browser sends older cookies first.
    const forged = Array.from({ length: 230 }, (_, i) => `${txName(i)}=${"A".repeat(40)}`).join("; ");
    const unseal = vi.spyOn(coreOf(browser.app).sealer, "unseal");
    const started = await browser.fetch("/auth/sign-in", { headers: { cookie: `${forged}; ${browser.cookieHeader()}` } });
    expect(started.status).toBe(302);
    expect(unseal).toHaveBeenCalledTimes(MAX_PENDING - 1);
    const deleted = setCookies(started).filter((l) => /max-age=0/i.test(l));
    expect(deleted.length).toBe(MAX_TRANSACTION_COOKIES - (MAX_PENDING - 1));
    for (const tab of tabs) expect(deleted.some((l) => l.startsWith(`__Host-ncs.tx.${tab.state.slice(0, 16)}=`))).toBe(false);
    // Every one of the browser's own sign-ins still finishes.
    for (const tab of tabs) {
      answerWithNonce(() => tab.nonce);
      expect((await browser.fetch(`/auth/callback?code=c&state=${tab.state}`)).status).toBe(302);
    }
  });
});
