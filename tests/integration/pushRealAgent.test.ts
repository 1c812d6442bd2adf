import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createSdkRunner } from "../../src/server/agent/sdkRunner.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import { PushNotification } from "../../src/shared/messages.ts";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { type FakePushService, startFakePushService, subscriptionJson } from "../fixtures/fakePushService.ts";
import { startTestServer, TEST_TOKEN, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * "Done when": with the app closed, a permission request of the real Claude Code CLI reaches the
 * phone as a notification, and Allow from the notification lets the agent go on. Real server,
 * real CLI (only the Anthropic API is faked), a push service that checks VAPID and decrypts.
 */
const TIMEOUT = 60_000;
let api: FakeAnthropic;
let pushService: FakePushService;
let agentEnv: AgentEnv;
let server: TestServer;
const clients = new TestClients(() => server.url);

beforeAll(async () => {
  setLogLevel("error");
  api = await startFakeAnthropic();
  pushService = await startFakePushService();
});
beforeEach(async () => {
  api.reset();
  agentEnv = makeAgentEnv(api.url);
  server = await startTestServer({
    runner: createSdkRunner({ maxTurns: 4, env: agentEnv.env }),
    workdir: agentEnv.cwd,
  });
});
afterEach(async () => {
  clients.closeAll();
  await server.cleanup();
  agentEnv.cleanup();
  expect(pushService.rejected).toEqual([]);
});
afterAll(async () => {
  await api.close();
  await pushService.close();
  setLogLevel("info");
});

describe("Web Push with the real Claude Code CLI", () => {
  test(
    "the app closed: the permission request buzzes the phone, Allow from the notification lets the agent go on",
    async () => {
      api.when(
        "make the marker",
        reply().tool("Bash", { command: "echo approved > pushed.txt", description: "Write the marker" }),
        reply().text("Wrote pushed.txt."),
      );
      // The phone turns notifications on, starts a turn, and goes into a pocket (its app closes).
      const phone = await clients.connect();
      const subscription = pushService.subscribe(phone.all("connection")[0]?.push.vapidPublicKey ?? "");
      const subscribed = crypto.randomUUID();
      phone.socket.emit("push:subscribe", { subscription: subscriptionJson(subscription), requestId: subscribed });
      await phone.next("push:subscribed", (p) => p.requestId === subscribed);
      const session = await phone.createSession({ model: "haiku", title: "Marker" });
      const requestId = phone.send(session.id, "make the marker file");
      await phone.next("chat:queued", (p) => p.requestId === requestId);
      phone.close();

      const message = await pushService.next(
        (m) => m.subscriptionId === subscription.id && m.payload.type === "permission",
        TIMEOUT,
      );
      const notification = PushNotification.parse(message.payload);
      if (notification.type !== "permission") throw new Error("expected a permission notification");
      expect(notification).toMatchObject({
        toolName: "Bash",
        body: "echo approved > pushed.txt",
        sessionId: session.id,
      });
      expect(message.urgency).toBe("high");
      expect(existsSync(join(agentEnv.cwd, "pushed.txt"))).toBe(false);

      // Allow, tapped on the notification: the service worker's request.
      const res = await fetch(`${server.url}/api/push/action`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TEST_TOKEN}` },
        body: JSON.stringify({
          permissionId: notification.permissionId,
          decision: "allow",
          actionToken: notification.actionToken,
        }),
      });
      expect(res.status).toBe(200);

      // The agent went on: the tool ran, the turn answered, and the phone hears it is done.
      const done = await pushService.next(
        (m) => m.subscriptionId === subscription.id && m.payload.type === "done",
        TIMEOUT,
      );
      expect(done.payload).toMatchObject({ sessionId: session.id, body: "Wrote pushed.txt." });
      expect(readFileSync(join(agentEnv.cwd, "pushed.txt"), "utf8").trim()).toBe("approved");

      // Opening the app later shows the same story from the stored events.
      const later = await clients.connect();
      const replay = crypto.randomUUID();
      later.socket.emit("session:subscribe", { sessionId: session.id, afterSeq: 0, requestId: replay });
      await later.next("session:subscribed", (p) => p.requestId === replay, { from: 0 });
      expect(later.all("permission:resolved")).toEqual([
        expect.objectContaining({ permissionId: notification.permissionId, decision: "allow" }),
      ]);
      expect(later.all("chat:response").map((r) => r.response)).toEqual(["Wrote pushed.txt."]);
      // Each event made one notification at most: a permission, then done.
      expect(
        pushService.received.filter((m) => m.subscriptionId === subscription.id).map((m) => m.payload.type),
      ).toEqual(["permission", "done"]);
    },
    TIMEOUT,
  );
});
