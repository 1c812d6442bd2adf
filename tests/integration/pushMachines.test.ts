import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setLogLevel } from "../../src/server/logger.ts";
import { PushNotification } from "../../src/shared/messages.ts";
import type { AgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import {
  type FakePushService,
  type FakeSubscription,
  startFakePushService,
  subscriptionJson,
} from "../fixtures/fakePushService.ts";
import { type HomeAndRemote, linkRemote, REMOTE_TOKEN, startHomeAndRemote } from "../fixtures/machines.ts";
import { TEST_TOKEN, TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * Web Push for a linked machine's sessions (decision 062): the home server notifies its phones of
 * the remote's events, titled from its cache, with remote approvals in the badge, and a tap on
 * Allow is answered on the remote. Two real servers with the real Claude Code CLI (fake APIs), a
 * push service on 127.0.0.1 that checks VAPID and decrypts every payload.
 */
const TIMEOUT = 90_000;
let homeApi: FakeAnthropic;
let remoteApi: FakeAnthropic;
let pushService: FakePushService;
let servers: HomeAndRemote;
let home: TestServer;
let remote: TestServer;
let remoteEnv: AgentEnv;
let homeEnv: AgentEnv;
const clients = new TestClients(() => home.url);

beforeAll(async () => {
  setLogLevel("error");
  [homeApi, remoteApi, pushService] = await Promise.all([
    startFakeAnthropic(),
    startFakeAnthropic(),
    startFakePushService(),
  ]);
});
beforeEach(async () => {
  homeApi.reset();
  remoteApi.reset();
  remoteApi.when("who are you", reply().text("I am the remote agent."));
  servers = await startHomeAndRemote(homeApi.url, remoteApi.url);
  ({ home, remote, homeEnv, remoteEnv } = servers);
});
afterEach(async () => {
  clients.closeAll();
  await servers.cleanup();
  expect(pushService.rejected).toEqual([]);
});
afterAll(async () => {
  await Promise.all([homeApi.close(), remoteApi.close(), pushService.close()]);
  setLogLevel("info");
});

const link = (client: TestClient) => linkRemote(client, remote.url);

async function subscribe(client: TestClient): Promise<FakeSubscription> {
  const subscription = pushService.subscribe(client.all("connection")[0]?.push.vapidPublicKey ?? "");
  const requestId = crypto.randomUUID();
  client.socket.emit("push:subscribe", { subscription: subscriptionJson(subscription), requestId });
  await client.next("push:subscribed", (p) => p.requestId === requestId);
  return subscription;
}

const typesFor = (subscription: FakeSubscription) =>
  pushService.received.filter((m) => m.subscriptionId === subscription.id).map((m) => m.payload.type);

/** The next permission notification the subscription gets, and the push request that carried it. */
async function permissionNotification(subscription: FakeSubscription) {
  const message = await pushService.next(
    (m) => m.subscriptionId === subscription.id && m.payload.type === "permission",
    TIMEOUT,
  );
  const notification = PushNotification.parse(message.payload);
  if (notification.type !== "permission") throw new Error("expected a permission notification");
  return { message, notification };
}

/** Allow or Deny tapped on the notification: the service worker's request to home. */
function tap(notification: { permissionId: string; actionToken: string }, decision: "allow" | "deny") {
  return fetch(`${home.url}/api/push/action`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TEST_TOKEN}` },
    body: JSON.stringify({ permissionId: notification.permissionId, decision, actionToken: notification.actionToken }),
  });
}

describe("Web Push for a linked machine's sessions", () => {
  test(
    "a remote permission buzzes the phone through home; Allow from the notification runs the tool on the remote",
    async () => {
      remoteApi.when(
        "make the marker",
        reply().tool("Bash", { command: "echo remote > marker.txt", description: "Write the marker" }),
        reply().text("Wrote marker.txt on the remote."),
      );
      // History the remote had before it was linked is copied to home, and is not news.
      const direct = await TestClient.connect(remote.url, { token: REMOTE_TOKEN });
      const old = await direct.createSession({ title: "Old work" });
      const before = direct.send(old.id, "who are you");
      await direct.next("chat:response", (p) => p.requestId === before, { timeoutMs: TIMEOUT });

      const phone = await clients.connect();
      const subscription = await subscribe(phone);
      const machine = await link(phone);
      const session = await phone.createSession({ machineId: machine.id, title: "Remote marker" });
      const requestId = phone.send(session.id, "make the marker file");
      await phone.next("chat:queued", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      // The phone goes into a pocket.
      phone.close();

      const { message, notification } = await permissionNotification(subscription);
      expect(notification).toMatchObject({
        sessionId: session.id,
        toolName: "Bash",
        body: "echo remote > marker.txt",
        title: "Approve Bash? · Remote marker",
        // The remote's pending approval, counted on home before the remote announced it.
        badge: 1,
      });
      expect(message.urgency).toBe("high");

      const res = await tap(notification, "allow");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        permissionId: notification.permissionId,
        sessionId: session.id,
        decision: "allow",
      });

      const done = await pushService.next(
        (m) => m.subscriptionId === subscription.id && m.payload.type === "done",
        TIMEOUT,
      );
      expect(done.payload).toMatchObject({ sessionId: session.id, body: "Wrote marker.txt on the remote." });
      // The tool ran where the session lives, and the remote stored the answer as the app's would be.
      expect(readFileSync(join(remoteEnv.cwd, "marker.txt"), "utf8").trim()).toBe("remote");
      expect(existsSync(join(homeEnv.cwd, "marker.txt"))).toBe(false);
      const replay = crypto.randomUUID();
      direct.socket.emit("session:subscribe", { sessionId: session.id, afterSeq: 0, requestId: replay });
      await direct.next("session:subscribed", (p) => p.requestId === replay);
      expect(direct.all("permission:resolved")).toEqual([
        expect.objectContaining({ permissionId: notification.permissionId, decision: "allow" }),
      ]);

      // The same token again: spent on home, nothing reaches the remote.
      const again = await tap(notification, "deny");
      expect(again.status).toBe(409);
      // One notification per notable live event; the old session's answer (copied on linking) made none.
      expect(typesFor(subscription)).toEqual(["permission", "done"]);
      expect(pushService.received.some((m) => (m.payload as { sessionId?: string }).sessionId === old.id)).toBe(false);
      direct.close();
    },
    TIMEOUT,
  );

  test(
    "Allow while the remote is offline: 503 MACHINE_OFFLINE, and the token is kept for when it is back",
    async () => {
      remoteApi.when(
        "make the marker",
        reply().tool("Bash", { command: "echo later > later.txt", description: "Write the marker" }),
        reply().text("Wrote it later."),
      );
      const phone = await clients.connect();
      const subscription = await subscribe(phone);
      const machine = await link(phone);
      const session = await phone.createSession({ machineId: machine.id, title: "Offline answer" });
      phone.send(session.id, "make the marker file");
      const { notification } = await permissionNotification(subscription);

      const mark = phone.received.length;
      await remote.stop();
      await phone.next("machine:updated", (p) => p.machine.id === machine.id && p.machine.status === "offline", {
        from: mark,
        timeoutMs: 5_000,
      });
      for (let i = 0; i < 2; i++) {
        const refused = await tap(notification, "allow");
        expect(refused.status).toBe(503);
        expect(await refused.json()).toMatchObject({ code: "MACHINE_OFFLINE" });
      }

      // Back on its port and data: the stop ended the turn, so the machine itself refuses the late
      // answer, which proves the token reached it rather than being spent by the offline taps.
      const back = phone.received.length;
      remote = await servers.restartRemote();
      await phone.next("machine:updated", (p) => p.machine.id === machine.id && p.machine.status === "online", {
        from: back,
        timeoutMs: 15_000,
      });
      const late = await tap(notification, "allow");
      expect({ status: late.status, body: await late.json() }).toMatchObject({
        status: 409,
        body: { code: "PERMISSION_NOT_PENDING" },
      });
      expect(existsSync(join(remoteEnv.cwd, "later.txt"))).toBe(false);
    },
    TIMEOUT,
  );

  test(
    "an approval the remote asked for while home was down buzzes once home is back; one answered meanwhile does not",
    async () => {
      remoteApi.when(
        "make the waiting marker",
        reply().tool("Bash", { command: "echo waited > waited.txt", description: "Write the marker" }),
        reply().text("Wrote waited.txt after the wait."),
      );
      remoteApi.when(
        "make the answered marker",
        reply().tool("Bash", { command: "echo answered > answered.txt", description: "Write the marker" }),
        reply().text("Wrote answered.txt."),
      );
      const phone = await clients.connect();
      const subscription = await subscribe(phone);
      const machine = await link(phone);
      const waiting = await phone.createSession({ machineId: machine.id, title: "Waiting" });
      const answered = await phone.createSession({ machineId: machine.id, title: "Answered" });
      phone.close();
      // Home goes away (the workstation sleeps); the remote's own browser starts two turns.
      await home.stop();
      const direct = await TestClient.connect(remote.url, { token: REMOTE_TOKEN });
      for (const session of [waiting, answered]) {
        const requestId = crypto.randomUUID();
        direct.socket.emit("session:subscribe", { sessionId: session.id, requestId });
        await direct.next("session:subscribed", (p) => p.requestId === requestId);
      }
      direct.send(waiting.id, "make the waiting marker");
      const pending = await direct.next("permission:request", (p) => p.sessionId === waiting.id, {
        timeoutMs: TIMEOUT,
      });
      const answeredTurn = direct.send(answered.id, "make the answered marker");
      const asked = await direct.next("permission:request", (p) => p.sessionId === answered.id, {
        timeoutMs: TIMEOUT,
      });
      direct.socket.emit("permission:respond", {
        sessionId: answered.id,
        permissionId: asked.permissionId,
        decision: "allow",
        requestId: crypto.randomUUID(),
      });
      await direct.next("chat:response", (p) => p.requestId === answeredTurn, { timeoutMs: TIMEOUT });

      // Home back on its data: it links the remote again, catches up, and tells the phone of the one still waiting.
      home = await servers.restartHome();
      const { notification } = await permissionNotification(subscription);
      expect(notification).toMatchObject({
        sessionId: waiting.id,
        permissionId: pending.permissionId,
        title: "Approve Bash? · Waiting",
        body: "echo waited > waited.txt",
      });
      const res = await tap(notification, "allow");
      expect(res.status).toBe(200);
      const done = await pushService.next(
        (m) => m.subscriptionId === subscription.id && m.payload.type === "done",
        TIMEOUT,
      );
      expect(done.payload).toMatchObject({ sessionId: waiting.id, body: "Wrote waited.txt after the wait." });
      expect(readFileSync(join(remoteEnv.cwd, "waited.txt"), "utf8").trim()).toBe("waited");
      // The answered session's approval and finished turn came in the catch-up as history: no buzz.
      expect(typesFor(subscription)).toEqual(["permission", "done"]);
      direct.close();
    },
    TIMEOUT,
  );

  test(
    "a remote session on the phone's screen is not notified; once the phone looks elsewhere it is",
    async () => {
      const phone = await clients.connect();
      const subscription = await subscribe(phone);
      const machine = await link(phone);
      const session = await phone.createSession({ machineId: machine.id, title: "Watched" });
      phone.socket.emit("presence:update", { visible: true, sessionId: session.id, requestId: crypto.randomUUID() });
      const watched = phone.send(session.id, "who are you");
      await phone.next("chat:response", (p) => p.requestId === watched, { timeoutMs: TIMEOUT });

      phone.socket.emit("presence:update", { visible: false, requestId: crypto.randomUUID() });
      const hidden = phone.send(session.id, "who are you");
      const done = await pushService.next(
        (m) => m.subscriptionId === subscription.id && m.payload.type === "done",
        TIMEOUT,
      );
      // Events are considered in seq order: the watched turn's answer came first and made none.
      expect(done.payload).toMatchObject({ sessionId: session.id, title: "Done · Watched" });
      expect(typesFor(subscription)).toEqual(["done"]);
      await phone.next("chat:response", (p) => p.requestId === hidden, { timeoutMs: TIMEOUT, from: 0 });
    },
    TIMEOUT,
  );
});
