import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setLogLevel } from "../../src/server/logger.ts";
import { MAX_PACKET_BYTES } from "../../src/server/socket/socketServer.ts";
import { createFakeRunner } from "../fixtures/fakeAgentRunner.ts";
import { rawRequest } from "../fixtures/rawHttp.ts";
import { startTestServer, TEST_TOKEN, TestClient, type TestServer } from "../fixtures/testServer.ts";

/**
 * The doors a hostile web page or LAN peer could still reach (issue 22), each
 * probed with real requests against a real server. Tests that throttle get a
 * server of their own: every loopback address shares one bucket.
 */
const started: TestServer[] = [];

async function freshServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const server = await startTestServer({ runner: createFakeRunner(), env, dataDir });
  started.push(server);
  return server;
}

beforeAll(() => setLogLevel("error"));
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.cleanup()));
});
afterAll(() => setLogLevel("info"));

const polling = (sid?: string) => `/socket.io/?EIO=4&transport=polling${sid ? `&sid=${encodeURIComponent(sid)}` : ""}`;

/** Opens an engine.io long-polling session (no credentials: those travel in the CONNECT packet). */
async function openPollingSession(server: TestServer): Promise<string> {
  const res = await fetch(`${server.url}${polling()}`);
  expect(res.status).toBe(200);
  const open = /^0(\{.*\})$/.exec(await res.text())?.[1];
  return (JSON.parse(open ?? "{}") as { sid: string }).sid;
}

/** A POST of exactly these headers (and `body`) to this server, addressed by its own Host. */
function post(server: TestServer, path: string, headers: string[], options: Parameters<typeof rawRequest>[2] = {}) {
  return rawRequest(server.port, [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, ...headers], options);
}

function cookieFrom(res: Response): string {
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

describe("pairing attempts (finding 2: any web page could lock the owner out)", () => {
  test("cross-site image requests and foreign origins are refused without being counted", async () => {
    const server = await freshServer();
    for (let i = 0; i < 15; i++) {
      const img = await fetch(`${server.url}/?token=guess-${i}`, {
        redirect: "manual",
        headers: { "sec-fetch-dest": "image", "sec-fetch-mode": "no-cors", "sec-fetch-site": "cross-site" },
      });
      expect(img.status).toBe(403);
      expect(await img.json()).toMatchObject({ code: "UNAUTHORIZED" });
      const foreign = await fetch(`${server.url}/?token=guess-${i}`, {
        redirect: "manual",
        headers: { origin: "https://evil.example" },
      });
      expect(foreign.status).toBe(403);
    }
    const owner = await fetch(`${server.url}/?token=${TEST_TOKEN}`, {
      redirect: "manual",
      headers: { "sec-fetch-dest": "document", "sec-fetch-mode": "navigate", "sec-fetch-site": "none" },
    });
    expect(owner.status).toBe(303);
    expect(owner.headers.get("set-cookie")).toContain("pocket_auth=");
  });

  test("wrong tokens in top-level navigations are still counted: the 11th attempt is 429", async () => {
    const server = await freshServer();
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${server.url}/?token=guess-${i}`, {
        redirect: "manual",
        headers: { "sec-fetch-dest": "document" },
      });
      expect(res.headers.get("location")).toBe("/?pair=failed");
    }
    const blocked = await fetch(`${server.url}/?token=${TEST_TOKEN}`, { redirect: "manual" });
    expect(blocked.status).toBe(429);
  });
});

describe("the throttle (finding 7)", () => {
  test("every 127.x.y.z address counts against one bucket", async () => {
    const server = await freshServer();
    const api = (localAddress: string, token: string) =>
      rawRequest(
        server.port,
        [
          "GET /api/transcribe HTTP/1.1",
          `Host: 127.0.0.1:${server.port}`,
          `Authorization: Bearer ${token}`,
          "Connection: close",
        ],
        { localAddress },
      );
    for (let i = 2; i < 12; i++) expect((await api(`127.0.0.${i}`, `wrong-${i}`)).status).toBe(401);
    const next = await api("127.0.0.12", TEST_TOKEN);
    expect(next.status).toBe(429);
    expect(JSON.parse(next.body)).toMatchObject({ code: "RATE_LIMITED" });
  });

  test("a weak POCKET_TOKEN stops the server with the reason and how to make a strong one", async () => {
    await expect(freshServer({ POCKET_TOKEN: "aaaaaaaaaaaaaaaa" })).rejects.toThrow(
      /POCKET_TOKEN: POCKET_TOKEN is too weak .*openssl rand -hex 32/,
    );
    await expect(freshServer({ POCKET_TOKEN: "password-password-password-password" })).rejects.toThrow(
      /varies too little/,
    );
  });
});

describe("the Host header (finding 5: DNS rebinding; Info: a bad Host was a 500)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      runner: createFakeRunner(),
      env: { POCKET_ALLOWED_ORIGINS: "https://box.tailnet.ts.net" },
    });
  });
  afterAll(() => server.cleanup());

  const get = (path: string, host: string | null, extra: string[] = []) =>
    rawRequest(server.port, [
      `GET ${path} HTTP/1.${host === null ? 0 : 1}`,
      ...(host === null ? [] : [`Host: ${host}`]),
      ...extra,
      "Connection: close",
    ]);

  test("a rebound name is answered 421 on every route, with the security headers", async () => {
    for (const path of ["/healthz", "/", "/?token=x", "/api/auth/status", polling()]) {
      const res = await get(path, `evil.example:${server.port}`);
      expect(res.status).toBe(421);
      expect(JSON.parse(res.body)).toMatchObject({ code: "UNAUTHORIZED" });
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    }
    const upgrade = await get(polling().replace("polling", "websocket"), `evil.example:${server.port}`, [
      "Upgrade: websocket",
      "Sec-WebSocket-Version: 13",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ]);
    expect(upgrade.status).toBe(421);
  });

  test("the names the server is known by are answered", async () => {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, "box.tailnet.ts.net", "[::1]:3000"]) {
      expect((await get("/healthz", host)).status).toBe(200);
    }
  });

  test("a missing or malformed Host is a typed 400 with the security headers, and the server stays up", async () => {
    for (const host of [null, "a b", "evil.example/x"]) {
      const res = await get("/healthz", host);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ code: "INVALID_PAYLOAD" });
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  test("auth and routing see one decoded path: /%61pi/… is /api/…", async () => {
    const res = await fetch(`${server.url}/%61pi/transcribe`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "UNAUTHORIZED" });
    const bearer = await fetch(`${server.url}/%61pi/transcribe`, {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(bearer.status).toBe(200);
  });
});

describe("request bodies (finding 4)", () => {
  test("an oversized long-polling body is refused before it is read", async () => {
    const server = await freshServer();
    const sid = await openPollingSession(server);
    // Only the headers are sent: the answer must not wait for a body.
    const res = await post(server, polling(sid), [
      "Content-Type: text/plain;charset=UTF-8",
      `Content-Length: ${20 * 1024 * 1024}`,
    ]);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: "INVALID_PAYLOAD" });
  });

  test("a long-polling body without a declared length is refused (411); one within the cap is read", async () => {
    const server = await freshServer();
    const sid = await openPollingSession(server);
    const chunked = await post(server, polling(sid), ["Transfer-Encoding: chunked"]);
    expect(chunked.status).toBe(411);
    const ok = await fetch(`${server.url}${polling(sid)}`, { method: "POST", body: "6" });
    expect(ok.status).toBe(200);
  });

  test("routes without a body take at most a small one; pairing reads none it does not need", async () => {
    const server = await freshServer();
    for (const path of ["/", "/api/auth/pair"]) {
      const res = await post(server, path, ["Content-Type: application/json", `Content-Length: ${10 * 1024 * 1024}`]);
      expect(res.status).toBe(413);
    }
  });
});

describe("engine.io sessions (findings 4 and 6)", () => {
  test("a CONNECT flood in one request closes the session after the second CONNECT; nothing else is checked", async () => {
    const server = await freshServer();
    const sid = await openPollingSession(server);
    const packet = '40{"token":"x"}';
    const count = Math.floor(MAX_PACKET_BYTES / (packet.length + 1));
    const flood = Array<string>(count).fill(packet).join("\x1e");
    const res = await fetch(`${server.url}${polling(sid)}`, { method: "POST", body: flood });
    expect(res.status).toBe(200);
    // The session is gone…
    const after = await fetch(`${server.url}${polling(sid)}`);
    expect(after.status).toBe(400);
    // …and at most two of the thousands of wrong tokens were checked: far below the throttle's 10.
    const owner = await TestClient.connect(server.url);
    expect(owner.all("connection")).toHaveLength(1);
    owner.close();
  });

  test("sessions not yet authenticated are capped per address", async () => {
    const server = await freshServer();
    for (let i = 0; i < 64; i++) await openPollingSession(server);
    const refused = await fetch(`${server.url}${polling()}`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ message: "rate_limited" });
  });

  test("a sid opened by a token works only from the address that opened it", async () => {
    const server = await freshServer();
    const owner = await TestClient.connect(server.url, { transports: ["polling"] });
    const sid = owner.socket.io.engine.id;
    const body = `42["session:list",{"requestId":"${crypto.randomUUID()}"}]`;
    const drive = (localAddress: string) =>
      post(server, polling(sid), ["Content-Type: text/plain;charset=UTF-8", `Content-Length: ${body.length}`], {
        localAddress,
        body,
      });
    expect((await drive("127.0.0.2")).status).toBe(403);
    expect((await drive("127.0.0.1")).status).toBe(200);
    owner.close();
  });

  test("a sid opened with the pairing cookie works only with that cookie (behind a proxy every address is the same)", async () => {
    const server = await freshServer();
    const cookie = cookieFrom(await fetch(`${server.url}/?token=${TEST_TOKEN}`, { redirect: "manual" }));
    const owner = await TestClient.connect(server.url, {
      token: null,
      transports: ["polling"],
      extraHeaders: { cookie },
    });
    const sid = owner.socket.io.engine.id;
    const body = `42["session:list",{"requestId":"${crypto.randomUUID()}"}]`;
    const stolen = await fetch(`${server.url}${polling(sid)}`, { method: "POST", body });
    expect(stolen.status).toBe(403);
    const own = await fetch(`${server.url}${polling(sid)}`, { method: "POST", body, headers: { cookie } });
    expect(own.status).toBe(200);
    owner.close();
  });
});

describe("the data directory (finding 8)", () => {
  test("an existing 0755 data dir becomes 0700; the database and its -wal/-shm are 0600", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pocket-modes-"));
    chmodSync(dataDir, 0o755);
    const server = await freshServer({}, dataDir);
    const client = await TestClient.connect(server.url);
    await client.createSession({ model: "haiku" });
    client.close();
    const mode = (file: string) => statSync(join(dataDir, file)).mode & 0o777;
    expect(mode(".")).toBe(0o700);
    for (const file of ["pocket-agent.sqlite", "pocket-agent.sqlite-wal", "pocket-agent.sqlite-shm"]) {
      expect(existsSync(join(dataDir, file))).toBe(true);
      expect(mode(file)).toBe(0o600);
    }
  });
});

describe("behind an HTTPS proxy (finding 9: POCKET_PUBLIC_URL)", () => {
  test("the cookie is __Host- and Secure, HSTS is sent, the banner's URL is the public one", async () => {
    const server = await freshServer({ POCKET_PUBLIC_URL: "https://box.tailnet.ts.net" });
    expect(server.pairingUrl).toBe(`https://box.tailnet.ts.net/?token=${TEST_TOKEN}`);
    const res = await fetch(`${server.url}/?token=${TEST_TOKEN}`, {
      redirect: "manual",
      headers: { host: "box.tailnet.ts.net" },
    });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toStartWith("__Host-pocket_auth=");
    expect(setCookie).toContain("Secure");
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000");
    // The proxied page's socket: its Origin is the public one.
    const client = await TestClient.connect(server.url, {
      token: null,
      extraHeaders: { cookie: cookieFrom(res), origin: "https://box.tailnet.ts.net" },
    });
    expect(client.all("connection")).toHaveLength(1);
    client.close();
  });

  test("a POCKET_PUBLIC_URL that is not an origin stops the server", async () => {
    await expect(freshServer({ POCKET_PUBLIC_URL: "https://box.tailnet.ts.net/app" })).rejects.toThrow(
      /POCKET_PUBLIC_URL must be an origin/,
    );
  });
});

describe("the server's own secrets (finding 3)", () => {
  test("POCKET_TOKEN and POCKET_STT_KEY leave process.env once the server has read them", async () => {
    process.env.POCKET_TOKEN = TEST_TOKEN;
    process.env.POCKET_STT_KEY = "sk-test-stt-key";
    try {
      await freshServer();
      expect(process.env.POCKET_TOKEN).toBeUndefined();
      expect(process.env.POCKET_STT_KEY).toBeUndefined();
    } finally {
      delete process.env.POCKET_TOKEN;
      delete process.env.POCKET_STT_KEY;
    }
  });
});
