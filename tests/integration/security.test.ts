import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { io } from "socket.io-client";
import { type ClientEventName, clientEvents, ErrorCode, NIL_REQUEST_ID } from "../../src/shared/messages.ts";
import { createFakeRunner } from "../fixtures/fakeAgentRunner.ts";
import { startTestServer, TEST_TOKEN, TestClient, type TestServer } from "../fixtures/testServer.ts";

/** Every door of the assembled server, and a property-based fuzz of every client event. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ runner: createFakeRunner(), env: { POCKET_LOG_LEVEL: "error" } });
});
afterAll(async () => {
  await server.cleanup();
});

function connectError(options: Parameters<typeof io>[1]): Promise<Error & { data?: { code?: string } }> {
  const socket = io(server.url, { reconnection: false, forceNew: true, ...options });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => {
      socket.close();
      reject(new Error("connected without valid credentials"));
    });
    socket.once("connect_error", (error) => {
      socket.close();
      resolve(error);
    });
  });
}

describe("the socket door", () => {
  test("no token → connect_error unauthorized", async () => {
    const error = await connectError({ transports: ["websocket"] });
    expect(error.message).toBe("unauthorized");
    expect(error.data?.code).toBe("UNAUTHORIZED");
  });

  test("wrong token → connect_error unauthorized", async () => {
    const error = await connectError({ transports: ["websocket"], auth: { token: `${TEST_TOKEN}x` } });
    expect(error.message).toBe("unauthorized");
  });

  test("a foreign Origin is refused even with the right token (cross-site WebSocket hijacking)", async () => {
    const error = await connectError({
      transports: ["polling"],
      auth: { token: TEST_TOKEN },
      extraHeaders: { origin: "https://evil.example" },
    });
    expect(error.message).not.toBe("");
    const ws = await connectError({
      transports: ["websocket"],
      auth: { token: TEST_TOKEN },
      extraHeaders: { origin: "https://evil.example" },
    });
    expect(ws).toBeInstanceOf(Error);
  });

  test("the pairing cookie alone opens the socket", async () => {
    const pair = await fetch(`${server.url}/?token=${TEST_TOKEN}`, { redirect: "manual" });
    expect(pair.status).toBe(303);
    expect(pair.headers.get("location")).toBe("/");
    const cookie = pair.headers.get("set-cookie") ?? "";
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    const client = await TestClient.connect(server.url, {
      token: null,
      extraHeaders: { cookie: cookie.split(";")[0] ?? "" },
    });
    expect(client.all("connection")[0]?.status).toBe("connected");
    client.close();
  });
});

describe("the HTTP doors", () => {
  test("/api/* needs the cookie or a bearer token; chat and sessions are not REST", async () => {
    expect((await fetch(`${server.url}/api/transcribe`, { method: "POST" })).status).toBe(401);
    const unauthorized = await fetch(`${server.url}/api/transcribe`, { method: "POST" });
    expect(await unauthorized.json()).toMatchObject({ code: "UNAUTHORIZED" });
    const bearer = { authorization: `Bearer ${TEST_TOKEN}` };
    expect((await fetch(`${server.url}/api/chat`, { method: "POST", headers: bearer })).status).toBe(404);
    expect((await fetch(`${server.url}/api/sessions`, { headers: bearer })).status).toBe(404);
    const noFile = await fetch(`${server.url}/api/transcribe`, {
      method: "POST",
      headers: bearer,
      body: new FormData(),
    });
    expect(noFile.status).toBe(400);
    expect((await fetch(`${server.url}/api/transcribe`)).status).toBe(401);
    const status = await fetch(`${server.url}/api/transcribe`, { headers: bearer });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ mode: "auto", checked: true });
  });

  test("responses carry the security headers", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("fuzz", () => {
  test("10,000 random and malformed payloads across every client event: typed errors, the server stays up", async () => {
    const client = await TestClient.connect(server.url);
    const created = crypto.randomUUID();
    client.socket.emit("session:create", { requestId: created, model: "haiku" });
    const session = await client.next("session:created", (p) => p.requestId === created);
    const names = Object.keys(clientEvents) as ClientEventName[];
    const uuid = fc.uuid({ version: 4 });
    const junk = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.constant(session.id),
      fc.constant(-1),
      fc.string({ maxLength: 3 }).map((s) => `${s}\u0000`),
    );
    // Payloads that look like requests: some real fields, some broken, always invalid somewhere.
    const payload = fc.record(
      {
        requestId: fc.oneof(uuid, junk),
        sessionId: fc.oneof(fc.constant(session.id), uuid, junk),
        message: fc.oneof(fc.constant(""), fc.constant(" "), junk),
        model: fc.oneof(fc.constant("gpt-9"), junk),
        afterSeq: fc.oneof(fc.constant(-5), fc.double(), junk),
        beforeSeq: junk,
        targetRequestId: junk,
        cwd: fc.oneof(fc.constant("../../.."), fc.constant("/etc"), junk),
        permissionMode: fc.oneof(fc.constant("bypassPermissions"), junk),
        limit: fc.oneof(fc.constant(0), fc.constant(10_000), junk),
        // Web Push
        visible: fc.oneof(fc.boolean(), junk),
        endpoint: fc.oneof(fc.constant("http://push.example/x"), fc.constant("https://"), junk),
        subscription: fc.oneof(
          fc.record({ endpoint: fc.oneof(fc.constant("file:///etc/passwd"), junk), keys: junk }, { requiredKeys: [] }),
          junk,
        ),
        deviceName: fc.oneof(fc.constant(""), fc.constant("x".repeat(61)), junk),
        events: fc.oneof(fc.constant(["everything"]), fc.constant([]), junk),
      },
      { requiredKeys: [] },
    );
    const samples = fc.sample(fc.tuple(fc.constantFrom(...names), fc.oneof(payload, junk)), {
      numRuns: 10_000,
      seed: 42,
    });
    const emit = client.socket.emit.bind(client.socket) as (event: string, payload: unknown) => void;

    // Only payloads the schema rejects are sent: each must be answered by a typed error carrying its requestId.
    const expected = new Map<string, number>();
    let sent = 0;
    for (const [name, value] of samples) {
      if (clientEvents[name].safeParse(value).success) continue;
      const requestId =
        typeof value === "object" && value !== null && "requestId" in value && typeof value.requestId === "string"
          ? value.requestId
          : "";
      const key = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(requestId)
        ? requestId.toLowerCase()
        : NIL_REQUEST_ID;
      expected.set(key, (expected.get(key) ?? 0) + 1);
      emit(name, value);
      sent++;
    }
    expect(sent).toBeGreaterThan(9_000);

    const isError = (m: { type: string }) => m.type.endsWith(":error");
    await client.until((received) => received.filter(isError).length >= sent, 60_000);
    const errors = client.received.filter(isError).map((m) => m.payload as { code: string; requestId: string });
    expect(errors).toHaveLength(sent);
    for (const error of errors) expect(ErrorCode.options).toContain(error.code as ErrorCode);
    const got = new Map<string, number>();
    for (const e of errors) got.set(e.requestId.toLowerCase(), (got.get(e.requestId.toLowerCase()) ?? 0) + 1);
    expect(got).toEqual(expected);

    // Still up, still correct, nothing stored was lost.
    const check = crypto.randomUUID();
    client.socket.emit("session:list", { requestId: check });
    const list = await client.next("session:list", (p) => p.requestId === check);
    expect(list.sessions.map((s) => s.id)).toContain(session.id);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    client.close();
  }, 120_000);
});
