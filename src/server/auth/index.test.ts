import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { setLogLevel, setLogSink } from "../logger.ts";
import { type AuthConfig, createAuth, pairingUrl, printPairingBanner } from "./index.ts";
import { cookieValueFor } from "./token.ts";

const TOKEN = "test-token-0123456789-abcdefghijklmnop";
const COOKIE = cookieValueFor(TOKEN);
const BASE = "http://127.0.0.1:3000";
const IP = "192.168.1.50";

const config = (over: Partial<AuthConfig> = {}): AuthConfig => ({
  token: TOKEN,
  allowedOrigins: [],
  secureCookies: false,
  ...over,
});

const clock = () => {
  let t = 5_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

/** The JSON error body of a refusal (fails the test when there is no response). */
async function errorBody(res: Response | null): Promise<{ error: string; code: string }> {
  if (!res) throw new Error("expected a response, got null");
  return (await res.json()) as { error: string; code: string };
}

const req = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  new Request(`${BASE}${path}`, { ...init, headers: { host: "127.0.0.1:3000", ...init.headers } });

/** Everything the logger writes during a test, to prove the token never reaches it. */
let logged: string[] = [];
let restoreSink: () => void = () => undefined;
beforeEach(() => {
  logged = [];
  setLogLevel("debug");
  restoreSink = setLogSink((line) => logged.push(line));
});
afterEach(() => {
  restoreSink();
  setLogLevel("info");
  for (const line of logged) {
    expect(line).not.toContain(TOKEN);
    expect(line).not.toContain(COOKIE);
  }
});

describe("HTTP: /api/* needs a credential", () => {
  test("no token → 401 JSON { error, code: UNAUTHORIZED }", async () => {
    const res = createAuth(config()).checkHttp(req("/api/transcribe", { method: "POST" }), IP);
    expect(res?.status).toBe(401);
    expect(res?.headers.get("content-type")).toContain("application/json");
    const body = await errorBody(res);
    expect(body.code).toBe("UNAUTHORIZED");
    expect(body.error).toBeString();
  });

  test("wrong bearer token → 401", () => {
    const res = createAuth(config()).checkHttp(
      req("/api/transcribe", { method: "POST", headers: { authorization: "Bearer nope-nope-nope-nope" } }),
      IP,
    );
    expect(res?.status).toBe(401);
  });

  test("Authorization: Bearer <token> → continue", () => {
    const auth = createAuth(config());
    expect(
      auth.checkHttp(req("/api/transcribe", { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } }), IP),
    ).toBeNull();
    expect(auth.checkHttp(req("/api/x", { headers: { authorization: `bearer ${TOKEN}` } }), IP)).toBeNull();
  });

  test("the pairing cookie → continue; the raw token as a cookie does not work", () => {
    const auth = createAuth(config());
    expect(auth.checkHttp(req("/api/x", { headers: { cookie: `a=b; pocket_auth=${COOKIE}` } }), IP)).toBeNull();
    expect(auth.checkHttp(req("/api/x", { headers: { cookie: `pocket_auth=${TOKEN}` } }), IP)?.status).toBe(401);
  });

  test("the app shell, health check and /socket.io/ are not gated here", () => {
    const auth = createAuth(config());
    for (const path of [
      "/",
      "/index.html",
      "/assets/app.js",
      "/manifest.webmanifest",
      "/healthz",
      "/socket.io/?EIO=4",
    ]) {
      expect(auth.checkHttp(req(path), IP)).toBeNull();
    }
    expect(auth.checkHttp(req("/socket.io/?EIO=4&sid=x", { method: "POST" }), IP)).toBeNull();
  });
});

describe("HTTP: origin check", () => {
  test("a foreign Origin is refused on /api/* (403) even with a valid token", async () => {
    const res = createAuth(config()).checkHttp(
      req("/api/transcribe", {
        method: "POST",
        headers: { origin: "https://evil.example", authorization: `Bearer ${TOKEN}` },
      }),
      IP,
    );
    expect(res?.status).toBe(403);
    expect((await errorBody(res)).code).toBe("UNAUTHORIZED");
  });

  test("a foreign Origin is refused on any state-changing request; page loads are not", () => {
    const auth = createAuth(config());
    expect(
      auth.checkHttp(req("/anything", { method: "POST", headers: { origin: "http://localhost:8080" } }), IP)?.status,
    ).toBe(403);
    expect(auth.checkHttp(req("/", { headers: { origin: "https://evil.example" } }), IP)).toBeNull();
  });

  test("same origin, or one from POCKET_ALLOWED_ORIGINS, passes", () => {
    const auth = createAuth(config({ allowedOrigins: ["https://pocket.tailnet.ts.net"] }));
    const bearer = { authorization: `Bearer ${TOKEN}` };
    expect(auth.checkHttp(req("/api/x", { method: "POST", headers: { ...bearer, origin: BASE } }), IP)).toBeNull();
    expect(
      auth.checkHttp(
        req("/api/x", { method: "POST", headers: { ...bearer, origin: "https://pocket.tailnet.ts.net" } }),
        IP,
      ),
    ).toBeNull();
  });

  test("no Origin at all (a script) + valid token → continue", () => {
    expect(
      createAuth(config()).checkHttp(
        req("/api/x", { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } }),
        IP,
      ),
    ).toBeNull();
  });

  test("a wildcard in allowedOrigins is refused at start", () => {
    expect(() => createAuth(config({ allowedOrigins: ["*"] }))).toThrow(/wildcards/);
  });
});

describe("pairing", () => {
  test("GET /?token=<valid> → 303 to / with the exact HttpOnly SameSite=Strict cookie (HTTP)", () => {
    const res = createAuth(config()).checkHttp(req(`/?token=${TOKEN}`), IP);
    expect(res?.status).toBe(303);
    expect(res?.headers.get("location")).toBe("/");
    expect(res?.headers.get("set-cookie")).toBe(
      `pocket_auth=${COOKIE}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict`,
    );
    expect(res?.headers.get("cache-control")).toBe("no-store");
  });

  test("over HTTPS the cookie is Secure and __Host- prefixed", () => {
    const auth = createAuth(config({ secureCookies: true }));
    const res = auth.checkHttp(new Request(`https://box.lan:8443/?token=${TOKEN}`), IP);
    expect(res?.status).toBe(303);
    expect(res?.headers.get("set-cookie")).toBe(
      `__Host-pocket_auth=${COOKIE}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict; Secure`,
    );
    // …and that cookie then opens /api and the socket.
    const cookie = { cookie: `__Host-pocket_auth=${COOKIE}` };
    expect(auth.checkHttp(new Request("https://box.lan:8443/api/x", { headers: cookie }), IP)).toBeNull();
    expect(auth.checkHandshake({ headers: cookie, clientAddress: IP, host: "box.lan:8443" })).toEqual({ ok: true });
  });

  test("a wrong token also redirects (out of the address bar) but sets no cookie", () => {
    const res = createAuth(config()).checkHttp(req("/?token=wrong-token-value-123"), IP);
    expect(res?.status).toBe(303);
    expect(res?.headers.get("location")).toBe("/?pair=failed");
    expect(res?.headers.get("set-cookie")).toBeNull();
  });

  test("handleAuthRoutes also handles GET /?token= (when mounted alone)", async () => {
    const res = await createAuth(config()).handleAuthRoutes(req(`/?token=${TOKEN}`), IP);
    expect(res?.status).toBe(303);
    expect(await createAuth(config()).handleAuthRoutes(req("/"), IP)).toBeNull();
  });

  test("GET /api/auth/status → { paired } from the cookie", async () => {
    const auth = createAuth(config());
    const before = await auth.handleAuthRoutes(req("/api/auth/status"), IP);
    expect(before?.status).toBe(200);
    expect(await before?.json()).toEqual({ paired: false });
    const after = await auth.handleAuthRoutes(
      req("/api/auth/status", { headers: { cookie: `pocket_auth=${COOKIE}` } }),
      IP,
    );
    expect(await after?.json()).toEqual({ paired: true });
    expect(auth.checkHttp(req("/api/auth/status"), IP)).toBeNull(); // public: checkHttp lets it through
  });

  test("POST /api/auth/pair { token } → 204 + cookie; wrong → 401", async () => {
    const auth = createAuth(config());
    const pair = (token: string, headers: Record<string, string> = {}) =>
      auth.handleAuthRoutes(
        req("/api/auth/pair", {
          method: "POST",
          headers: { "content-type": "application/json", origin: BASE, ...headers },
          body: JSON.stringify({ token }),
        }),
        IP,
      );
    const ok = await pair(TOKEN);
    expect(ok?.status).toBe(204);
    expect(ok?.headers.get("set-cookie")).toBe(
      `pocket_auth=${COOKIE}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict`,
    );
    const bad = await pair("not-the-token-at-all");
    expect(bad?.status).toBe(401);
    expect((await errorBody(bad)).code).toBe("UNAUTHORIZED");
    expect(bad?.headers.get("set-cookie")).toBeNull();
    expect((await pair(TOKEN, { origin: "https://evil.example" }))?.status).toBe(403);
  });

  test("POST /api/auth/pair refuses non-JSON, oversized and malformed bodies, and other methods", async () => {
    const auth = createAuth(config());
    const post = (body: string, contentType = "application/json") =>
      auth.handleAuthRoutes(
        req("/api/auth/pair", { method: "POST", headers: { "content-type": contentType }, body }),
        IP,
      );
    expect((await post(`token=${TOKEN}`, "application/x-www-form-urlencoded"))?.status).toBe(415);
    expect((await post(JSON.stringify({ token: "x".repeat(10_000) })))?.status).toBe(413);
    expect((await post("{not json"))?.status).toBe(400);
    expect((await post(JSON.stringify({ tok: TOKEN })))?.status).toBe(400);
    const get = await auth.handleAuthRoutes(req("/api/auth/pair"), IP);
    expect(get?.status).toBe(405);
    expect(get?.headers.get("allow")).toBe("POST");
  });
});

describe("Socket.IO handshake", () => {
  const auth = () => createAuth(config());
  const host = "127.0.0.1:3000";

  test("no credential → unauthorized", () => {
    expect(auth().checkHandshake({ headers: {}, clientAddress: IP, host })).toEqual({
      ok: false,
      reason: "unauthorized",
    });
  });

  test("wrong auth.token (or a non-string) → unauthorized", () => {
    const a = auth();
    expect(a.checkHandshake({ headers: {}, authToken: "wrong", clientAddress: IP, host }).ok).toBe(false);
    expect(a.checkHandshake({ headers: {}, authToken: 42, clientAddress: IP, host }).ok).toBe(false);
  });

  test("cookie only (no auth.token) → ok", () => {
    expect(auth().checkHandshake({ headers: { cookie: `pocket_auth=${COOKIE}`, host }, clientAddress: IP })).toEqual({
      ok: true,
    });
    const h = new Headers({ cookie: `x=1; pocket_auth=${COOKIE}`, host, origin: BASE });
    expect(auth().checkHandshake({ headers: h, clientAddress: IP })).toEqual({ ok: true });
  });

  test("auth.token with no Origin (a script) → ok", () => {
    expect(auth().checkHandshake({ headers: {}, authToken: TOKEN, clientAddress: IP, host })).toEqual({ ok: true });
  });

  test("a foreign Origin is refused even with a valid cookie (cross-site WebSocket hijacking)", () => {
    const headers = { origin: "http://localhost:8080", cookie: `pocket_auth=${COOKIE}`, host: "localhost:3000" };
    expect(auth().checkHandshake({ headers, clientAddress: IP })).toEqual({ ok: false, reason: "forbidden_origin" });
  });

  test("checkSocketRequest: Origin on every engine request (incl. the upgrade), throttle on new sessions only", () => {
    const c = clock();
    const a = createAuth(config(), { now: c.now });
    const evil = new Request(`${BASE}/socket.io/?EIO=4&transport=websocket&sid=abc`, {
      headers: { origin: "https://evil.example", host: "127.0.0.1:3000", upgrade: "websocket" },
    });
    expect(a.checkSocketRequest(evil, IP)).toEqual({ ok: false, reason: "forbidden_origin" });
    for (let i = 0; i < 10; i++) a.checkHandshake({ headers: {}, authToken: "bad", clientAddress: IP, host });
    const fresh = req("/socket.io/?EIO=4&transport=polling", { headers: { origin: BASE } });
    const existing = req("/socket.io/?EIO=4&transport=polling&sid=abc", { headers: { origin: BASE } });
    expect(a.checkSocketRequest(fresh, IP)).toEqual({ ok: false, reason: "rate_limited" });
    expect(a.checkSocketRequest(existing, IP)).toEqual({ ok: true });
  });
});

describe("brute force throttling", () => {
  test("10 failures per minute → 429 RATE_LIMITED (even for the right token), recovered after the window", async () => {
    const c = clock();
    const auth = createAuth(config(), { now: c.now });
    const bad = () => req("/api/x", { headers: { authorization: "Bearer wrong-guess-wrong-guess" } });
    const good = () => req("/api/x", { headers: { authorization: `Bearer ${TOKEN}` } });
    for (let i = 0; i < 10; i++) {
      expect(auth.checkHttp(bad(), IP)?.status).toBe(401);
      c.advance(1_000);
    }
    const limited = auth.checkHttp(good(), IP);
    expect(limited?.status).toBe(429);
    expect((await errorBody(limited)).code).toBe("RATE_LIMITED");
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    // Every door is throttled for this address, but not for others.
    expect(auth.checkHandshake({ headers: {}, authToken: TOKEN, clientAddress: IP, host: "h" })).toEqual({
      ok: false,
      reason: "rate_limited",
    });
    expect((await auth.handleAuthRoutes(req(`/?token=${TOKEN}`), IP))?.status).toBe(429);
    expect(auth.checkHttp(good(), "192.168.1.51")).toBeNull();
    // Sliding window: 60 s after the first failure, one slot frees up.
    c.advance(50_000);
    expect(auth.checkHttp(good(), IP)).toBeNull();
  });

  test("failures from every door add up; requests without any credential do not count", () => {
    const c = clock();
    const auth = createAuth(config(), { now: c.now });
    for (let i = 0; i < 50; i++) auth.checkHttp(req("/api/x"), IP); // the unpaired app polling: not guesses
    expect(auth.checkHttp(req("/api/x", { headers: { authorization: `Bearer ${TOKEN}` } }), IP)).toBeNull();
    for (let i = 0; i < 4; i++) auth.checkHandshake({ headers: {}, authToken: "guess", clientAddress: IP, host: "h" });
    for (let i = 0; i < 3; i++) auth.checkHttp(req("/?token=guess-guess-guess"), IP);
    for (let i = 0; i < 3; i++) auth.checkHttp(req("/api/x", { headers: { cookie: "pocket_auth=forged" } }), IP);
    expect(auth.checkHttp(req("/api/x", { headers: { authorization: `Bearer ${TOKEN}` } }), IP)?.status).toBe(429);
  });

  test("a wrong token on POST /api/auth/pair counts, and the route answers 429 once blocked", async () => {
    const c = clock();
    const auth = createAuth(config(), { now: c.now, rateLimit: { limit: 2 } });
    const pair = (token: string) =>
      auth.handleAuthRoutes(
        req("/api/auth/pair", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token }),
        }),
        IP,
      );
    expect((await pair("guess-1"))?.status).toBe(401);
    expect((await pair("guess-2"))?.status).toBe(401);
    expect((await pair(TOKEN))?.status).toBe(429);
    c.advance(60_000);
    expect((await pair(TOKEN))?.status).toBe(204);
  });
});

describe("the token is printed by the banner and nowhere else", () => {
  test("a full pairing + failure + throttle flow logs no secret; the banner prints the URL and a QR", async () => {
    const captured: string[] = [];
    const originals = { log: console.log, error: console.error, warn: console.warn, info: console.info };
    const capture = (...args: unknown[]) => captured.push(args.map(String).join(" "));
    Object.assign(console, { log: capture, error: capture, warn: capture, info: capture });
    try {
      const auth = createAuth(config(), { rateLimit: { limit: 3 } });
      auth.checkHttp(req(`/?token=${TOKEN}`), IP);
      auth.checkHttp(req("/?token=bad-bad-bad-bad-bad"), IP);
      auth.checkHttp(req("/api/x", { headers: { authorization: "Bearer nope" } }), IP);
      auth.checkHandshake({
        headers: { origin: "https://evil.example" },
        authToken: TOKEN,
        clientAddress: IP,
        host: "h",
      });
      auth.checkHandshake({ headers: {}, authToken: "bad", clientAddress: IP, host: "h" });
      auth.checkHttp(req("/api/x", { headers: { authorization: `Bearer ${TOKEN}` } }), IP);
      await auth.handleAuthRoutes(
        req("/api/auth/pair", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token: TOKEN }),
        }),
        IP,
      );
    } finally {
      Object.assign(console, originals);
    }
    expect(logged.length).toBeGreaterThan(0); // failures and the throttle were logged…
    expect(captured).toEqual([]); // …through the logger only
    for (const line of [...logged, ...captured]) expect(line).not.toContain(TOKEN);

    const banner: string[] = [];
    const url = pairingUrl("https://box.local:8443/", TOKEN);
    expect(url).toBe(`https://box.local:8443/?token=${TOKEN}`);
    printPairingBanner(url, (text) => banner.push(text));
    const text = banner.join("\n");
    expect(text).toContain(url);
    expect(text).toMatch(/[█▀▄]{10}/); // the QR code
  });
});
