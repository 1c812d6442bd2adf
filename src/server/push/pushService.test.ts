import type { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeRunner, type FakeRunner } from "../../../tests/fixtures/fakeAgentRunner.ts";
import {
  type FakePushService,
  type FakeSubscription,
  startFakePushService,
  subscriptionJson,
} from "../../../tests/fixtures/fakePushService.ts";
import { ManualClock } from "../../../tests/fixtures/manualClock.ts";
import type { SessionEvent } from "../../shared/messages.ts";
import { Bus } from "../bus.ts";
import { setLogLevel } from "../logger.ts";
import { SessionService } from "../sessions/sessionService.ts";
import { SessionStore } from "../sessions/store.ts";
import { openDatabase } from "../storage/database.ts";
import { PushActionError, PushService } from "./pushService.ts";
import { loadOrCreateVapidKeys } from "./vapidKeys.ts";

/**
 * The push domain with real parts: SQLite, the session service (with the in-process fake agent),
 * the bus, and HTTP requests to the fake push service, which checks VAPID and decrypts. Only time
 * is injected: coalescing windows and backoff advance with the clock, never by sleeping.
 */
const COALESCE_MS = 10_000;
const RETRY_DELAYS = [1_000, 4_000];
let pushService: FakePushService;
let dataDir: string;
let db: Database;
let bus: Bus;
let runner: FakeRunner;
let sessions: SessionService;
let clock: ManualClock;
let push: PushService;

beforeAll(async () => {
  setLogLevel("error");
  pushService = await startFakePushService();
});
afterAll(async () => {
  await pushService.close();
  setLogLevel("info");
});

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "pocket-push-"));
  db = openDatabase(dataDir);
  bus = new Bus();
  runner = createFakeRunner();
  sessions = new SessionService({
    store: new SessionStore(db),
    runner,
    bus,
    defaultModel: "haiku",
    workdirRoots: [dataDir],
    idleTimeoutMs: 60_000,
  });
  clock = new ManualClock();
  push = new PushService({
    db,
    bus,
    sessions,
    vapid: await loadOrCreateVapidKeys(dataDir),
    subject: "mailto:test@example.com",
    clock,
    coalesceMs: COALESCE_MS,
    retryDelaysMs: RETRY_DELAYS,
    requestTimeoutMs: 5_000,
  });
  push.start();
});
afterEach(async () => {
  await push.stop();
  await sessions.shutdown();
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A browser that turned notifications on: its subscription at the fake push service, registered. */
function device(socketId = "socket-1", events?: ("permission" | "question" | "done" | "error")[]): FakeSubscription {
  const subscription = pushService.subscribe(push.vapidPublicKey);
  push.subscribe(socketId, {
    subscription: subscriptionJson(subscription),
    deviceName: "Phone",
    ...(events ? { events } : {}),
  });
  return subscription;
}

function messagesFor(subscription: FakeSubscription) {
  return pushService.received.filter((m) => m.subscriptionId === subscription.id);
}

function turnEnd(requestId: string): Promise<SessionEvent> {
  return new Promise((resolve) => {
    const off = bus.on("sessionEvent", (event) => {
      if (event.payload.requestId !== requestId) return;
      if (event.type !== "chat:response" && event.type !== "chat:error") return;
      off();
      resolve(event);
    });
  });
}

async function turn(sessionId: string, message: string): Promise<string> {
  const requestId = crypto.randomUUID();
  const ended = turnEnd(requestId);
  sessions.send({ sessionId, requestId, message });
  await ended;
  return requestId;
}

function permissionAsked(): Promise<Extract<SessionEvent, { type: "permission:request" }>> {
  return new Promise((resolve) => {
    const off = bus.on("sessionEvent", (event) => {
      if (event.type !== "permission:request") return;
      off();
      resolve(event);
    });
  });
}

describe("coalescing", () => {
  test("a burst of turns ending in one session: the first at once, then only the newest after 10 s", async () => {
    const phone = device();
    const session = sessions.create({});
    await turn(session.id, "first");
    await pushService.next((m) => m.subscriptionId === phone.id);
    await turn(session.id, "second");
    await turn(session.id, "third");
    await push.whenIdle();
    expect(messagesFor(phone).map((m) => m.payload.body)).toEqual(["Echo: first"]);

    clock.advance(COALESCE_MS - 1);
    await push.whenIdle();
    expect(messagesFor(phone)).toHaveLength(1);
    clock.advance(1);
    await pushService.next((m) => m.subscriptionId === phone.id && m.payload.body === "Echo: third");
    await push.whenIdle();
    expect(messagesFor(phone).map((m) => m.payload.body)).toEqual(["Echo: first", "Echo: third"]);
    expect(clock.pending).toBe(0);
  });

  test("each session has its own window: two sessions ending together make two notifications", async () => {
    const phone = device();
    const a = sessions.create({ title: "A" });
    const b = sessions.create({ title: "B" });
    await Promise.all([turn(a.id, "one"), turn(b.id, "two")]);
    await push.whenIdle();
    expect(
      messagesFor(phone)
        .map((m) => m.payload.sessionId)
        .sort(),
    ).toEqual([a.id, b.id].sort());
    // Each session's notifications share one tag and one Topic: a newer one replaces the older.
    expect(new Set(messagesFor(phone).map((m) => m.topic)).size).toBe(2);
  });

  test("a permission request goes at once inside the window, and drops the older notification held", async () => {
    const phone = device();
    const session = sessions.create({});
    await turn(session.id, "first");
    await turn(session.id, "held, then dropped");
    runner.script({ ask: { toolName: "Bash", input: { command: "rm -rf build" } } });
    const asked = permissionAsked();
    const requestId = crypto.randomUUID();
    const ended = turnEnd(requestId);
    sessions.send({ sessionId: session.id, requestId, message: "clean" });
    const ask = await asked;
    const permission = await pushService.next((m) => m.subscriptionId === phone.id && m.payload.type === "permission");
    expect(permission).toMatchObject({ urgency: "high", payload: { summary: "rm -rf build" } });
    sessions.respondToPermission({ sessionId: session.id, permissionId: ask.payload.permissionId, decision: "allow" });
    await ended;
    clock.advance(COALESCE_MS);
    await push.whenIdle();
    // The held "done" of the second turn never went; the third turn's, newer, did.
    expect(messagesFor(phone).map((m) => `${m.payload.type}:${m.payload.body}`)).toEqual([
      "done:Echo: first",
      "permission:rm -rf build",
      "done:Echo: clean",
    ]);
  });
});

describe("delivery failures", () => {
  test("a 500 and a 503 are retried after the backoff; the third attempt delivers", async () => {
    const phone = device();
    pushService.answer(phone, 500, 503);
    const session = sessions.create({});
    await turn(session.id, "hello");
    await clock.scheduled();
    expect(pushService.attempts(phone)).toBe(1);
    clock.advance(RETRY_DELAYS[0] as number);
    await clock.scheduled();
    expect(pushService.attempts(phone)).toBe(2);
    clock.advance(RETRY_DELAYS[1] as number);
    await pushService.next((m) => m.subscriptionId === phone.id);
    await push.whenIdle();
    expect(pushService.attempts(phone)).toBe(3);
    expect(push.store.get(push.store.byEndpoint(phone.endpoint)?.id ?? "")?.lastSentAt).not.toBeNull();
  });

  test("the retries are bounded: after the last one the device stays, with its error recorded", async () => {
    const phone = device();
    pushService.answer(phone, 500, 500, 500, 500);
    const session = sessions.create({});
    await turn(session.id, "hello");
    for (const delay of RETRY_DELAYS) {
      await clock.scheduled();
      clock.advance(delay);
    }
    await push.whenIdle();
    expect(pushService.attempts(phone)).toBe(1 + RETRY_DELAYS.length);
    expect(clock.pending).toBe(0);
    expect(push.store.byEndpoint(phone.endpoint)?.lastError).toContain("answered 500");
  });

  test("a newer notification of the same session ends the retries of an older one", async () => {
    const phone = device();
    pushService.answer(phone, 500);
    const session = sessions.create({});
    await turn(session.id, "older");
    await clock.scheduled();
    runner.script({ ask: { toolName: "Bash", input: { command: "make" } } });
    const asked = permissionAsked();
    sessions.send({ sessionId: session.id, requestId: crypto.randomUUID(), message: "newer" });
    await asked;
    await pushService.next((m) => m.subscriptionId === phone.id && m.payload.type === "permission");
    clock.advance(RETRY_DELAYS[0] as number);
    await push.whenIdle();
    // The retry of "older" woke, saw the permission had gone out since, and stopped.
    expect(pushService.attempts(phone)).toBe(2);
    expect(messagesFor(phone).map((m) => m.payload.type)).toEqual(["permission"]);
  });

  test.each([404, 410])("%i removes the device and sends it nothing more", async (status) => {
    const phone = device();
    const other = device("socket-2");
    pushService.answer(phone, status);
    const session = sessions.create({});
    await turn(session.id, "hello");
    await push.whenIdle();
    expect(push.store.byEndpoint(phone.endpoint)).toBeNull();
    expect(push.store.count()).toBe(1);
    expect(messagesFor(other)).toHaveLength(1);
    expect(pushService.attempts(phone)).toBe(1);
  });
});

describe("who is looking", () => {
  test("a visible client on the session suppresses; hidden, elsewhere or disconnected does not", async () => {
    const phone = device();
    const session = sessions.create({});
    const other = sessions.create({});
    push.updatePresence("desk", { visible: true, sessionId: session.id });
    await turn(session.id, "watched");
    await push.whenIdle();
    expect(messagesFor(phone)).toHaveLength(0);

    push.updatePresence("desk", { visible: false, sessionId: session.id });
    await turn(session.id, "hidden");
    await pushService.next((m) => m.subscriptionId === phone.id && m.payload.body === "Echo: hidden");

    push.updatePresence("desk", { visible: true, sessionId: other.id });
    await turn(other.id, "elsewhere is watched");
    clock.advance(COALESCE_MS);
    await turn(session.id, "this one is not");
    await pushService.next((m) => m.subscriptionId === phone.id && m.payload.body === "Echo: this one is not");

    push.updatePresence("desk", { visible: true, sessionId: session.id });
    push.disconnected("desk");
    clock.advance(COALESCE_MS);
    await turn(session.id, "gone");
    await pushService.next((m) => m.subscriptionId === phone.id && m.payload.body === "Echo: gone");
    expect(messagesFor(phone).map((m) => m.payload.body)).toEqual([
      "Echo: hidden",
      "Echo: this one is not",
      "Echo: gone",
    ]);
  });

  test("a notification held for the window is dropped if the session is on screen when it ends", async () => {
    const phone = device();
    const session = sessions.create({});
    await turn(session.id, "first");
    await turn(session.id, "second");
    push.updatePresence("desk", { visible: true, sessionId: session.id });
    clock.advance(COALESCE_MS);
    await push.whenIdle();
    expect(messagesFor(phone).map((m) => m.payload.body)).toEqual(["Echo: first"]);
  });

  test("each device gets only the kinds it asked for", async () => {
    const errorsOnly = device("socket-1", ["error"]);
    const everything = device("socket-2");
    const session = sessions.create({});
    await turn(session.id, "fine");
    runner.script({ fail: { code: "API_ERROR", message: "The API failed." } });
    clock.advance(COALESCE_MS);
    await turn(session.id, "broken");
    await push.whenIdle();
    expect(messagesFor(errorsOnly).map((m) => m.payload.type)).toEqual(["error"]);
    expect(messagesFor(everything).map((m) => m.payload.type)).toEqual(["done", "error"]);
  });
});

describe("action tokens", () => {
  /** A turn that asks to run `make`; resolves with its request and the notification it made. */
  async function permissionPush(phone: FakeSubscription) {
    runner.script({ ask: { toolName: "Bash", input: { command: "make" } } });
    const session = sessions.create({});
    const asked = permissionAsked();
    const requestId = crypto.randomUUID();
    const ended = turnEnd(requestId);
    sessions.send({ sessionId: session.id, requestId, message: "build" });
    const ask = await asked;
    const message = await pushService.next((m) => m.subscriptionId === phone.id && m.payload.type === "permission");
    return { session, ask, message, ended };
  }

  test("valid once, for that permission only, for 15 minutes", async () => {
    const { session, ask, message, ended } = await permissionPush(device());
    const actionToken = String(message.payload.actionToken);
    expect(actionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const refused = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        return error instanceof PushActionError ? [error.status, error.code] : error;
      }
      return "accepted";
    };
    const wrong = crypto.randomUUID();
    expect(await refused(() => push.act({ permissionId: wrong, decision: "allow", actionToken }))).toEqual([
      403,
      "ACTION_TOKEN_INVALID",
    ]);
    expect(
      await refused(() => push.act({ permissionId: ask.payload.permissionId, decision: "allow", actionToken: "x" })),
    ).toEqual([403, "ACTION_TOKEN_INVALID"]);
    // The wrong permission did not spend it.
    expect(await push.act({ permissionId: ask.payload.permissionId, decision: "deny", actionToken })).toEqual({
      permissionId: ask.payload.permissionId,
      sessionId: session.id,
      decision: "deny",
    });
    expect(
      await refused(() => push.act({ permissionId: ask.payload.permissionId, decision: "allow", actionToken })),
    ).toEqual([409, "ACTION_TOKEN_USED"]);
    const end = await ended;
    expect(end.type).toBe("chat:response");
  });

  test("15 minutes later the token has expired", async () => {
    const { ask, message, session } = await permissionPush(device());
    clock.advance(15 * 60_000);
    await expect(
      push.act({
        permissionId: ask.payload.permissionId,
        decision: "allow",
        actionToken: String(message.payload.actionToken),
      }),
    ).rejects.toThrow(expect.objectContaining({ status: 410, code: "ACTION_TOKEN_EXPIRED" }));
    // Still pending: the expired tap changed nothing.
    expect(sessions.get(session.id).pendingPermissions).toBe(1);
  });
});
