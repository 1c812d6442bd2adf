import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { cookieValueFor } from "../../src/server/auth/token.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import { VAPID_FILE_NAME } from "../../src/server/push/vapidKeys.ts";
import { PushNotification, PushStatus } from "../../src/shared/messages.ts";
import { createFakeRunner, type FakeRunner, gate } from "../fixtures/fakeAgentRunner.ts";
import {
  type FakePushService,
  type FakeSubscription,
  type PushMessage,
  startFakePushService,
  subscriptionJson,
} from "../fixtures/fakePushService.ts";
import { ManualClock } from "../fixtures/manualClock.ts";
import { startTestServer, TEST_TOKEN, type TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * Web Push through the real server: Socket.IO requests, SQLite, the HTTP action endpoint, and
 * requests to a fake push service on 127.0.0.1 that checks the VAPID JWT and decrypts every
 * payload with the subscription's private key (tests/fixtures/fakePushService.ts). The agent is the
 * in-process fake; the same flow with the real Claude Code CLI is in pushRealAgent.test.ts. Time
 * for the coalescing window and the tokens' expiry is an injected clock.
 */
let pushService: FakePushService;
let server: TestServer;
let runner: FakeRunner;
let clock: ManualClock;
const clients = new TestClients(() => server.url);

beforeAll(async () => {
  setLogLevel("error");
  pushService = await startFakePushService();
});
afterAll(async () => {
  await pushService.close();
  setLogLevel("info");
});
beforeEach(async () => {
  runner = createFakeRunner();
  clock = new ManualClock();
  server = await startTestServer({ runner, push: { clock, requestTimeoutMs: 2_000, retryDelaysMs: [1_000] } });
});
afterEach(async () => {
  clients.closeAll();
  await server.cleanup();
  // Every request that reached the fake push service passed its VAPID and decryption checks.
  expect(pushService.rejected).toEqual([]);
});

// -- helpers ---------------------------------------------------------------------------------------

async function status(): Promise<PushStatus> {
  const res = await fetch(`${server.url}/api/push/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  expect(res.status).toBe(200);
  return PushStatus.parse(await res.json());
}

/** A browser's subscription made with the server's key, registered through `client` (push:subscribe). */
async function subscribe(
  client: TestClient,
  options: { deviceName?: string; events?: ("permission" | "question" | "done" | "error")[] } = {},
): Promise<{ subscription: FakeSubscription; deviceId: string }> {
  const vapidPublicKey = client.all("connection")[0]?.push.vapidPublicKey ?? "";
  const subscription = pushService.subscribe(vapidPublicKey);
  const requestId = crypto.randomUUID();
  client.socket.emit("push:subscribe", { subscription: subscriptionJson(subscription), requestId, ...options });
  const { deviceId } = await client.next("push:subscribed", (p) => p.requestId === requestId);
  return { subscription, deviceId };
}

function presence(client: TestClient, visible: boolean, sessionId?: string): void {
  client.socket.emit("presence:update", {
    visible,
    requestId: crypto.randomUUID(),
    ...(sessionId ? { sessionId } : {}),
  });
}

/** The decrypted notifications one subscription got, checked against the protocol's schema. */
function notifications(subscription: FakeSubscription): PushNotification[] {
  return pushService.received
    .filter((m) => m.subscriptionId === subscription.id)
    .map((m) => PushNotification.parse(m.payload));
}

function nextFor(subscription: FakeSubscription, where: (m: PushMessage) => boolean = () => true) {
  return pushService.next((m) => m.subscriptionId === subscription.id && where(m));
}

/** Resolves once `condition` (a fact only the server holds, with no event to await) is true. */
async function serverSide(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("the server never got there");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function turnEnds(client: TestClient, requestId: string) {
  await client.until((all) =>
    all.some((m) => (m.type === "chat:response" || m.type === "chat:error") && m.payload.requestId === requestId),
  );
}

async function action(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TEST_TOKEN}` }) {
  const res = await fetch(`${server.url}/api/push/action`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A session whose turn asks to run `command`, watched by `client`; resolves once the phone got the notification. */
async function askPermission(client: TestClient, subscription: FakeSubscription, command = "npm test") {
  runner.script({ ask: { toolName: "Bash", input: { command } } });
  const session = await client.createSession({ title: "Fix the tests" });
  const requestId = client.send(session.id, "run the tests");
  const request = await client.next("permission:request", (p) => p.requestId === requestId);
  const message = await nextFor(subscription, (m) => m.payload.type === "permission");
  const payload = PushNotification.parse(message.payload);
  if (payload.type !== "permission") throw new Error("not a permission notification");
  return { session, requestId, request, message, payload };
}

// -- tests -----------------------------------------------------------------------------------------

describe("subscribing", () => {
  test("a device is stored; the same endpoint again updates it; the VAPID key is one everywhere", async () => {
    const client = await clients.connect();
    const first = await subscribe(client, { deviceName: "Pixel" });
    const again = await subscribe(client, { deviceName: "Pixel" });
    expect(again.deviceId).not.toBe(first.deviceId); // another endpoint: another device
    expect((await status()).devices).toBe(2);

    const requestId = crypto.randomUUID();
    client.socket.emit("push:subscribe", {
      subscription: subscriptionJson(first.subscription),
      deviceName: "Work phone",
      events: ["permission"],
      requestId,
    });
    const updated = await client.next("push:subscribed", (p) => p.requestId === requestId);
    expect(updated.deviceId).toBe(first.deviceId);
    expect((await status()).devices).toBe(2);
    const stored = server.push.store.get(first.deviceId);
    expect(stored).toMatchObject({ name: "Work phone", events: ["permission"], endpoint: first.subscription.endpoint });

    const file = join(server.dataDir, VAPID_FILE_NAME);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const keys = JSON.parse(readFileSync(file, "utf8")) as { publicKey: string };
    expect(client.all("connection")[0]?.push.vapidPublicKey).toBe(keys.publicKey);
    expect((await status()).vapidPublicKey).toBe(keys.publicKey);
  });

  test("push:unsubscribe removes the device; push:test then answers PUSH_NOT_SUBSCRIBED", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const requestId = crypto.randomUUID();
    client.socket.emit("push:unsubscribe", { endpoint: subscription.endpoint, requestId });
    await client.next("push:unsubscribed", (p) => p.requestId === requestId);
    expect((await status()).devices).toBe(0);
    const testId = crypto.randomUUID();
    client.socket.emit("push:test", { requestId: testId });
    const error = await client.next("push:error", (p) => p.requestId === testId);
    expect(error.code).toBe("PUSH_NOT_SUBSCRIBED");
  });

  test.each([
    "http://push.example.com/x",
    "http://192.168.1.20:8080/push/x",
    "http://localhost:9/push/x",
    "ftp://127.0.0.1/x",
    "not a url",
  ])("the endpoint %s is refused with PUSH_ENDPOINT_REFUSED and nothing is stored", async (endpoint) => {
    const client = await clients.connect();
    const good = pushService.subscribe("unused");
    const requestId = crypto.randomUUID();
    client.socket.emit("push:subscribe", { subscription: { ...subscriptionJson(good), endpoint }, requestId });
    const error = await client.next("push:error", (p) => p.requestId === requestId);
    expect(error.code).toBe("PUSH_ENDPOINT_REFUSED");
    expect((await status()).devices).toBe(0);
  });

  test("malformed push:* and presence:update payloads get push:error INVALID_PAYLOAD with their requestId", async () => {
    const client = await clients.connect();
    const sub = subscriptionJson(pushService.subscribe("unused"));
    const bad: [string, unknown][] = [
      ["push:subscribe", { requestId: crypto.randomUUID() }],
      [
        "push:subscribe",
        { subscription: { ...sub, keys: { p256dh: "short", auth: sub.keys.auth } }, requestId: crypto.randomUUID() },
      ],
      ["push:subscribe", { subscription: sub, events: ["everything"], requestId: crypto.randomUUID() }],
      ["push:subscribe", { subscription: sub, deviceName: "x".repeat(61), requestId: crypto.randomUUID() }],
      ["push:subscribe", { subscription: { ...sub, endpoint: "x".repeat(5_000) }, requestId: crypto.randomUUID() }],
      ["push:unsubscribe", { endpoint: 42, requestId: crypto.randomUUID() }],
      ["push:test", { requestId: "not-a-uuid" }],
      ["presence:update", { visible: "yes", requestId: crypto.randomUUID() }],
      ["presence:update", { visible: true, sessionId: "nope", requestId: crypto.randomUUID() }],
      ["presence:update", null],
      ["push:nope", { requestId: crypto.randomUUID() }],
    ];
    for (const [event, payload] of bad) {
      (client.socket.emit as (e: string, p: unknown) => void)(event, payload);
    }
    await client.until((all) => all.filter((m) => m.type === "push:error").length === bad.length);
    const errors = client.all("push:error");
    for (const [i, [event, payload]] of bad.entries()) {
      const requestId = (payload as { requestId?: unknown } | null)?.requestId;
      const expected =
        typeof requestId === "string" && requestId.length === 36 ? requestId : "00000000-0000-0000-0000-000000000000";
      expect(errors[i]).toMatchObject({
        requestId: expected,
        code: event === "push:nope" ? "UNKNOWN_EVENT" : "INVALID_PAYLOAD",
      });
    }
    expect((await status()).devices).toBe(0);
    // The connection goes on.
    await subscribe(client);
    expect((await status()).devices).toBe(1);
  });

  test("push:test reaches this socket's devices only, with push:tested { sent }", async () => {
    const mine = await clients.connect();
    const theirs = await clients.connect();
    const { subscription } = await subscribe(mine, { deviceName: "Pixel" });
    const other = await subscribe(theirs);
    const requestId = crypto.randomUUID();
    mine.socket.emit("push:test", { requestId });
    const tested = await mine.next("push:tested", (p) => p.requestId === requestId);
    expect(tested.sent).toBe(1);
    expect(notifications(subscription)).toEqual([
      expect.objectContaining({ type: "test", body: "Notifications work on Pixel." }),
    ]);
    expect(notifications(other.subscription)).toEqual([]);
  });
});

describe("notifications", () => {
  test("a permission request: Allow and Deny, a one-time token, urgency high, the session's Topic", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const { session, request, message, payload } = await askPermission(client, subscription, "npm test");
    expect(payload).toMatchObject({
      type: "permission",
      sessionId: session.id,
      permissionId: request.permissionId,
      toolName: "Bash",
      title: "Approve Bash? · Fix the tests",
      body: "npm test",
      url: `/?session=${session.id}&permission=${request.permissionId}`,
      tag: `session-${session.id}`,
      badge: 1,
      actions: [
        { action: "allow", title: "Allow" },
        { action: "deny", title: "Deny" },
      ],
    });
    expect(payload.actionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(message).toMatchObject({ urgency: "high", ttl: 900, topic: session.id.replaceAll("-", "") });
  });

  test("AskUserQuestion: a question", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    runner.script({
      ask: { toolName: "AskUserQuestion", input: { questions: [{ question: "Postgres or SQLite?", options: [] }] } },
    });
    const session = await client.createSession();
    client.send(session.id, "set up the database");
    const message = await nextFor(subscription);
    expect(PushNotification.parse(message.payload)).toMatchObject({
      type: "question",
      sessionId: session.id,
      body: "Postgres or SQLite?",
    });
    expect(message.urgency).toBe("high");
  });

  test("a turn's answer: done, with the reply's first 140 characters; never one per delta or log", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const reply = `${"Refactored the parser. ".repeat(10)}Tests pass.`;
    runner.script({
      deltas: reply.match(/.{1,7}/gs) ?? [],
      messages: Array.from({ length: 20 }, (_, i) => ({ type: "assistant", step: i })),
    });
    const session = await client.createSession();
    const requestId = client.send(session.id, "refactor");
    await turnEnds(client, requestId);
    const message = await nextFor(subscription);
    await server.push.whenIdle();
    expect(notifications(subscription)).toHaveLength(1);
    const done = PushNotification.parse(message.payload);
    expect(done).toMatchObject({ type: "done", sessionId: session.id, badge: 0 });
    expect(done.body).toBe(`${reply.slice(0, 140)}…`);
    expect(message.urgency).toBe("normal");
  });

  test("a failed turn: error, with its code", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    runner.script({ fail: { code: "API_OVERLOADED", message: "The Anthropic API is overloaded." } });
    const session = await client.createSession({ title: "Nightly" });
    client.send(session.id, "go");
    const message = await nextFor(subscription);
    expect(PushNotification.parse(message.payload)).toMatchObject({
      type: "error",
      code: "API_OVERLOADED",
      title: "Failed · Nightly",
      body: "The Anthropic API is overloaded.",
    });
  });

  test("a visible client on the session suppresses; a hidden one or one elsewhere does not; a disconnect at once", async () => {
    const phone = await clients.connect();
    const { subscription } = await subscribe(phone);
    presence(phone, false); // the phone itself: in a pocket
    const desk = await clients.connect();
    const session = await desk.createSession();
    const other = await desk.createSession();

    presence(desk, true, session.id);
    const watched = desk.send(session.id, "watched");
    await turnEnds(desk, watched);
    await server.push.whenIdle();
    expect(notifications(subscription)).toEqual([]);

    presence(desk, false, session.id);
    const hidden = desk.send(session.id, "hidden tab");
    await nextFor(subscription, (m) => m.payload.body === "Echo: hidden tab");
    await turnEnds(desk, hidden);

    presence(desk, true, other.id);
    clock.advance(10_000);
    desk.send(session.id, "on another session");
    await nextFor(subscription, (m) => m.payload.body === "Echo: on another session");

    presence(desk, true, session.id);
    // Sent after the presence above on the same socket: it has been applied when the list comes back.
    const listed = crypto.randomUUID();
    desk.socket.emit("session:list", { requestId: listed });
    await desk.next("session:list", (p) => p.requestId === listed);
    expect(server.push.isWatched(session.id)).toBe(true);
    desk.close();
    // The server hears the close on its own time and tells no other client: look until it has.
    await serverSide(() => !server.push.isWatched(session.id));
    clock.advance(10_000);
    const last = phone.send(session.id, "after the desk left");
    await nextFor(subscription, (m) => m.payload.body === "Echo: after the desk left");
    await turnEnds(phone, last);
  });

  test("three turns ending at once: one notification now, the newest when 10 s have passed", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const session = await client.createSession();
    const ids = ["one", "two", "three"].map((text) => client.send(session.id, text));
    for (const id of ids) await turnEnds(client, id);
    await server.push.whenIdle();
    expect(notifications(subscription).map((n) => n.body)).toEqual(["Echo: one"]);
    clock.advance(10_000);
    await nextFor(subscription, (m) => m.payload.body === "Echo: three");
    await server.push.whenIdle();
    expect(notifications(subscription).map((n) => n.body)).toEqual(["Echo: one", "Echo: three"]);
  });

  test("replaying, retrying a chat:send, subscribing again and restarting never re-send a notification", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const session = await client.createSession();
    const requestId = client.send(session.id, "once");
    await nextFor(subscription);
    await turnEnds(client, requestId);

    // The same chat:send again (a retry) replays its events to the sender: no notification.
    client.socket.emit("chat:send", { message: "once", sessionId: session.id, requestId });
    await client.until((all) => all.filter((m) => m.type === "chat:response").length === 2);
    const subscribeId = crypto.randomUUID();
    client.socket.emit("session:subscribe", { sessionId: session.id, afterSeq: 0, requestId: subscribeId });
    await client.next("session:subscribed", (p) => p.requestId === subscribeId);
    await server.push.whenIdle();
    expect(notifications(subscription)).toHaveLength(1);

    // A restart: the device is still there, the old events are not news.
    await server.stop();
    server = await startTestServer({ runner, dataDir: server.dataDir, workdir: server.workdir, push: { clock } });
    expect((await status()).devices).toBe(1);
    const again = await clients.connect();
    const resubscribed = crypto.randomUUID();
    again.socket.emit("session:subscribe", { sessionId: session.id, afterSeq: 0, requestId: resubscribed });
    await again.next("session:subscribed", (p) => p.requestId === resubscribed);
    await server.push.whenIdle();
    expect(notifications(subscription)).toHaveLength(1);
  });

  test("a restart does not notify the turns it interrupted", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const session = await client.createSession();
    const held = gate();
    runner.script({ gate: held.promise });
    const requestId = client.send(session.id, "long job");
    await client.next("chat:started", (p) => p.requestId === requestId);
    await server.stop();
    server = await startTestServer({ runner, dataDir: server.dataDir, workdir: server.workdir, push: { clock } });
    const again = await clients.connect();
    const subscribed = crypto.randomUUID();
    again.socket.emit("session:subscribe", { sessionId: session.id, afterSeq: 0, requestId: subscribed });
    await again.next("chat:error", (p) => p.requestId === requestId && p.code === "INTERRUPTED");
    await server.push.whenIdle();
    expect(notifications(subscription)).toEqual([]);
  });

  test("410 from the push service removes the subscription", async () => {
    const client = await clients.connect();
    const { subscription, deviceId } = await subscribe(client);
    pushService.answer(subscription, 410);
    const session = await client.createSession();
    const requestId = client.send(session.id, "hello");
    await turnEnds(client, requestId);
    await server.push.whenIdle();
    expect(server.push.store.get(deviceId)).toBeNull();
    expect((await status()).devices).toBe(0);
    expect(pushService.attempts(subscription)).toBe(1);
  });

  test("a push service that never answers does not hold up the turn", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    pushService.answer(subscription, "hang", "hang");
    runner.script({ ask: { toolName: "Bash", input: { command: "make" } } });
    const session = await client.createSession();
    const requestId = client.send(session.id, "build");
    const ask = await client.next("permission:request", (p) => p.requestId === requestId);
    await pushService.untilRequests(pushService.received.length + pushService.rejected.length + 1);
    // The push request is still open at the push service, and the turn goes on regardless.
    const answer = crypto.randomUUID();
    client.socket.emit("permission:respond", {
      sessionId: session.id,
      permissionId: ask.permissionId,
      decision: "allow",
      requestId: answer,
    });
    const response = await client.next("chat:response", (p) => p.requestId === requestId, { from: 0 });
    expect(response.response).toBe("Echo: build");
    expect(pushService.received.filter((m) => m.subscriptionId === subscription.id)).toEqual([]);
  });
});

describe("POST /api/push/action", () => {
  test("Allow answers the permission as permission:respond would: every device hears it, the turn goes on", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const { session, requestId, request, payload } = await askPermission(client, subscription);
    const res = await action({
      permissionId: request.permissionId,
      decision: "allow",
      actionToken: payload.actionToken,
    });
    expect(res).toEqual({
      status: 200,
      body: { permissionId: request.permissionId, sessionId: session.id, decision: "allow" },
    });
    const resolved = await client.next("permission:resolved", (p) => p.permissionId === request.permissionId, {
      from: 0,
    });
    expect(resolved).toMatchObject({ decision: "allow", requestId, sessionId: session.id });
    const response = await client.next("chat:response", (p) => p.requestId === requestId, { from: 0 });
    expect(response.logs.some((log) => log.includes('"behavior":"allow"'))).toBe(true);
  });

  test("Deny tells the agent no, with the pairing cookie instead of a bearer token", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const { requestId, request, payload } = await askPermission(client, subscription);
    const res = await action(
      { permissionId: request.permissionId, decision: "deny", actionToken: payload.actionToken },
      { cookie: `pocket_auth=${cookieValueFor(TEST_TOKEN)}`, origin: server.url },
    );
    expect(res.status).toBe(200);
    const resolved = await client.next("permission:resolved", (p) => p.permissionId === request.permissionId, {
      from: 0,
    });
    expect(resolved.decision).toBe("deny");
    const response = await client.next("chat:response", (p) => p.requestId === requestId, { from: 0 });
    expect(response.logs.some((log) => log.includes('"behavior":"deny"'))).toBe(true);
  });

  test("a reused token: 409 ACTION_TOKEN_USED", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const { request, payload } = await askPermission(client, subscription);
    const body = { permissionId: request.permissionId, decision: "allow", actionToken: payload.actionToken };
    expect((await action(body)).status).toBe(200);
    expect(await action(body)).toMatchObject({ status: 409, body: { code: "ACTION_TOKEN_USED" } });
  });

  test("a token for another permission: 403 ACTION_TOKEN_INVALID, and nothing is answered", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const first = await askPermission(client, subscription, "make one");
    const second = await askPermission(client, subscription, "make two");
    const res = await action({
      permissionId: second.request.permissionId,
      decision: "allow",
      actionToken: first.payload.actionToken,
    });
    expect(res).toMatchObject({ status: 403, body: { code: "ACTION_TOKEN_INVALID" } });
    const sessions = await (async () => {
      const id = crypto.randomUUID();
      client.socket.emit("session:list", { requestId: id });
      return (await client.next("session:list", (p) => p.requestId === id)).sessions;
    })();
    expect(sessions.map((s) => s.pendingPermissions).sort()).toEqual([1, 1]);
    expect(client.all("permission:resolved")).toEqual([]);
  });

  test("without the cookie or a bearer token: 401, with a foreign Origin: 403; the token is not spent", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const { request, payload } = await askPermission(client, subscription);
    const body = { permissionId: request.permissionId, decision: "allow", actionToken: payload.actionToken };
    expect(await action(body, {})).toMatchObject({ status: 401, body: { code: "UNAUTHORIZED" } });
    expect(await action(body, { authorization: "Bearer wrong-token-0123456789abcdef" })).toMatchObject({
      status: 401,
    });
    expect(await action(body, { authorization: `Bearer ${TEST_TOKEN}`, origin: "https://evil.example" })).toMatchObject(
      { status: 403, body: { code: "UNAUTHORIZED" } },
    );
    expect((await action(body)).status).toBe(200);
  });

  test("a permission answered in the app: 409 PERMISSION_NOT_PENDING", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const { session, request, payload } = await askPermission(client, subscription);
    client.socket.emit("permission:respond", {
      sessionId: session.id,
      permissionId: request.permissionId,
      decision: "allow",
      requestId: crypto.randomUUID(),
    });
    await client.next("permission:resolved", (p) => p.permissionId === request.permissionId, { from: 0 });
    const res = await action({
      permissionId: request.permissionId,
      decision: "deny",
      actionToken: payload.actionToken,
    });
    expect(res).toMatchObject({ status: 409, body: { code: "PERMISSION_NOT_PENDING" } });
  });

  test("15 minutes later: 410 ACTION_TOKEN_EXPIRED, and the request still waits", async () => {
    const client = await clients.connect();
    const { subscription } = await subscribe(client);
    const { request, payload } = await askPermission(client, subscription);
    clock.advance(15 * 60_000);
    const res = await action({
      permissionId: request.permissionId,
      decision: "allow",
      actionToken: payload.actionToken,
    });
    expect(res).toMatchObject({ status: 410, body: { code: "ACTION_TOKEN_EXPIRED" } });
    expect(client.all("permission:resolved")).toEqual([]);
  });

  test("bad requests: typed JSON errors with the right status", async () => {
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    const post = (body: string, contentType = "application/json") =>
      fetch(`${server.url}/api/push/action`, {
        method: "POST",
        headers: { ...auth, "content-type": contentType },
        body,
      });
    const cases: [Promise<Response>, number, string][] = [
      [post("{nope"), 400, "INVALID_PAYLOAD"],
      [post(JSON.stringify({ permissionId: "x", decision: "allow", actionToken: "t" })), 400, "INVALID_PAYLOAD"],
      [
        post(JSON.stringify({ permissionId: crypto.randomUUID(), decision: "allow_always", actionToken: "t" })),
        400,
        "INVALID_PAYLOAD",
      ],
      [post("{}", "text/plain"), 415, "INVALID_PAYLOAD"],
      [post(JSON.stringify({ pad: "x".repeat(5_000) })), 413, "INVALID_PAYLOAD"],
      [fetch(`${server.url}/api/push/action`, { headers: auth }), 405, "METHOD_NOT_ALLOWED"],
      [fetch(`${server.url}/api/push/status`, { method: "POST", headers: auth }), 405, "METHOD_NOT_ALLOWED"],
      [fetch(`${server.url}/api/push/nothing`, { headers: auth }), 404, "NOT_FOUND"],
      [
        post(JSON.stringify({ permissionId: crypto.randomUUID(), decision: "allow", actionToken: "never-issued" })),
        403,
        "ACTION_TOKEN_INVALID",
      ],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect({ status: res.status, code: ((await res.json()) as { code: string }).code }).toEqual({ status, code });
    }
  });
});
