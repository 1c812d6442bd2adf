import { existsSync } from "node:fs";
import { join } from "node:path";
import { io, type Socket } from "socket.io-client";
import {
  type FakePushService,
  type FakeSubscription,
  startFakePushService,
  subscriptionJson,
} from "../fixtures/fakePushService.ts";
import { E2E_TOKEN, expect, test } from "./fixtures.ts";
import { marker, newSession, TURN_TIMEOUT_MS } from "./helpers.ts";
import {
  ANDROID_CHROME,
  appServiceWorker,
  deliverPush,
  IPHONE_SAFARI,
  shownNotifications,
  stubPushNetworkLeg,
  stubRecord,
  tapNotification,
} from "./support/push.ts";

/**
 * Web Push in Chromium against the real stack: notifications turned on through the settings, a
 * test notification, then, with the app closed, the real Claude Code CLI asks to run a command, the
 * server pushes (VAPID-signed, encrypted), the push reaches the real service worker, and Allow on
 * the notification lets the agent go on.
 *
 * Stubbed: only `pushManager.subscribe()`'s network leg, because headless Chromium here cannot
 * reach a push service (support/push.ts says how). The push messages the service worker gets are
 * exactly what the server sent, decrypted by the fake push service with the subscription's key.
 */
let push: FakePushService;
let subscription: FakeSubscription;
let origin: string;
const scripts: Socket[] = [];

/**
 * Chrome on Android: the phone project's iPhone user agent would (rightly) get "Add to Home Screen
 * first", since iOS has web push only for installed apps; that screen has its own test below.
 */
test.use({ userAgent: ANDROID_CHROME });

/**
 * A browser of its own: delivering a push goes to the service worker registration DevTools names
 * for this origin, and every earlier spec in a shared worker registered the app's service worker
 * on the same origin (the worker's server) in contexts of the same browser. In full runs a push
 * now and then went to none of them (never shown); a browser that has only this file's contexts
 * has only their registrations.
 */
test.use({ isolatedStack: "push" });

test.beforeEach(async ({ context, page, baseURL }) => {
  origin = new URL(baseURL ?? "").origin;
  push = await startFakePushService();
  const status = await page.request.get("/api/push/status");
  expect(status.ok()).toBe(true);
  const { vapidPublicKey } = (await status.json()) as { vapidPublicKey: string };
  subscription = push.subscribe(vapidPublicKey);
  await context.grantPermissions(["notifications"], { origin: baseURL });
  await stubPushNetworkLeg(context, subscriptionJson(subscription));
});

test.afterEach(async () => {
  // The worker's server outlives this spec: forget the device, so nothing pushes to a closed port.
  const client = await scriptClient(origin);
  client.emit("push:unsubscribe", { endpoint: subscription.endpoint, requestId: crypto.randomUUID() });
  await once(client, "push:unsubscribed");
  for (const socket of scripts.splice(0)) socket.close();
  await push.close();
  expect(push.rejected).toEqual([]);
});

/** A script's Socket.IO client (bearer token, no browser): how the test drives a turn with the app closed. */
async function scriptClient(baseURL: string): Promise<Socket> {
  const socket = io(baseURL, { auth: { token: E2E_TOKEN }, transports: ["websocket"], reconnection: false });
  scripts.push(socket);
  await once(socket, "connection");
  return socket;
}

function once<T = Record<string, unknown>>(
  socket: Socket,
  event: string,
  where: (payload: T) => boolean = () => true,
  timeoutMs = TURN_TIMEOUT_MS,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (payload: T) => {
      if (!where(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

test("turned on in the settings; with the app closed a permission request buzzes, and Allow lets the agent go on", async ({
  page,
  context,
  frames,
  stack,
}) => {
  const connected = frames.mark();
  await page.reload();
  await frames.waitFor("received", "connection", () => true, 30_000, connected);

  // Settings → Notifications: off until the user taps.
  await page.getByRole("button", { name: /^Sessions/ }).click();
  await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "Notifications" }).click();
  const sheet = page.getByRole("dialog", { name: "Notifications" });
  await expect(sheet.getByRole("status")).toHaveText("Off");
  await sheet.getByRole("button", { name: "Turn on notifications" }).click();
  await expect(sheet.getByRole("status")).toHaveText("On for this device");

  // The app subscribed with the server's VAPID key, and told the server.
  const record = await stubRecord(page);
  expect(record.userVisibleOnly).toBe(true);
  expect(record.applicationServerKey).toBe(subscription.vapidPublicKey);
  expect(record.realError, "the real subscribe() could not reach a push service here").toMatch(/AbortError/);
  const subscribed = await frames.waitFor("sent", "push:subscribe");
  expect(subscribed).toMatchObject({
    subscription: { endpoint: subscription.endpoint, keys: subscription.keys },
    events: ["permission", "question", "done", "error"],
  });
  await frames.waitFor("received", "push:subscribed", (p) => p.requestId === subscribed.requestId);

  // Name this device; the server hears it with the same endpoint.
  await sheet.getByRole("textbox", { name: "Device name" }).fill("E2E phone");
  await sheet.getByRole("button", { name: "Save" }).click();
  const renamed = await frames.waitFor("sent", "push:subscribe", (p) => p.deviceName === "E2E phone");
  await frames.waitFor("received", "push:subscribed", (p) => p.requestId === renamed.requestId);
  await expect(sheet.getByRole("checkbox", { name: "Approvals" })).toBeChecked();

  // The test notification: server → push service → this service worker → on screen.
  await sheet.getByRole("button", { name: "Send a test notification" }).click();
  const tested = await frames.waitFor("received", "push:tested");
  expect(tested.sent).toBe(1);
  await expect(sheet.getByText("Sent. It should appear in a moment.")).toBeVisible();
  const testMessage = await push.next((m) => m.subscriptionId === subscription.id && m.payload.type === "test");
  const worker = await appServiceWorker(context);
  await deliverPush(context, page, origin, testMessage.text);
  await expect
    .poll(() => shownNotifications(worker))
    .toContainEqual(expect.objectContaining({ title: "Pocket Agent", body: "Notifications work on E2E phone." }));
  await page.screenshot({ path: test.info().outputPath("notifications-on.png") });

  // The app closed (its socket goes, and with it its presence); a turn runs from a script.
  await page.goto("about:blank");
  const file = `${marker("pushed")}.txt`;
  const prompt = `create ${file}`;
  await stack.script(
    [
      {
        kind: "message",
        blocks: [{ type: "tool_use", name: "Bash", input: { command: `touch ${file}`, description: "Create it" } }],
      },
      { kind: "message", blocks: [{ type: "text", text: `Created ${file}.` }] },
    ],
    prompt,
  );
  const script = await scriptClient(origin);
  const createId = crypto.randomUUID();
  script.emit("session:create", { title: "Pushed from E2E", requestId: createId });
  const session = await once<{ id: string }>(script, "session:created");
  const turnId = crypto.randomUUID();
  const resolved = once<{ decision: string; permissionId: string }>(script, "permission:resolved");
  const answered = once<{ response: string; requestId: string }>(
    script,
    "chat:response",
    (p) => p.requestId === turnId,
  );
  script.emit("chat:send", { message: prompt, sessionId: session.id, requestId: turnId });
  const request = await once<{ permissionId: string; toolName: string }>(script, "permission:request");
  expect(request.toolName).toBe("Bash");

  // The push the server sent for it, delivered to the service worker: shown with Allow and Deny.
  const message = await push.next(
    (m) => m.subscriptionId === subscription.id && m.payload.permissionId === request.permissionId,
    TURN_TIMEOUT_MS,
  );
  expect(message.urgency).toBe("high");
  await deliverPush(context, page, origin, message.text);
  const tag = `session-${session.id}`;
  await expect
    .poll(async () => (await shownNotifications(worker)).find((n) => n.tag === tag))
    .toEqual({
      title: "Approve Bash? · Pushed from E2E",
      body: `touch ${file}`,
      tag,
      actions: [
        { action: "allow", title: "Allow" },
        { action: "deny", title: "Deny" },
      ],
    });
  expect(existsSync(join(stack.workdir, file))).toBe(false);

  // Allow, tapped on the notification: the worker answers without opening the app.
  const pagesBefore = context.pages().length;
  await tapNotification(worker, tag, "allow");
  expect(await resolved).toMatchObject({ permissionId: request.permissionId, decision: "allow" });
  expect((await answered).response).toBe(`Created ${file}.`);
  expect(existsSync(join(stack.workdir, file))).toBe(true);
  expect(context.pages()).toHaveLength(pagesBefore);
  // The notification now says what happened.
  expect((await shownNotifications(worker)).find((n) => n.tag === tag)).toEqual({
    title: `Allowed: Bash \`touch ${file}\``,
    body: "Approve Bash? · Pushed from E2E",
    tag,
    actions: [],
  });

  // "Done" follows (nobody is looking).
  const done = await push.next((m) => m.subscriptionId === subscription.id && m.payload.type === "done");
  expect(done.payload).toMatchObject({ sessionId: session.id, body: `Created ${file}.` });

  // The app opens at a notification's `url`, as the worker's openWindow() would (Chromium refuses
  // that call without a real click, which no API can make): it lands on the session, drops the
  // parameter from the address, and clears that session's notifications on this device.
  const reopened = frames.mark();
  await page.goto(String(done.payload.url));
  await frames.waitFor("sent", "session:subscribe", (p) => p.sessionId === session.id, 30_000, reopened);
  await expect.poll(() => new URL(page.url()).search).toBe("");
  await frames.waitFor(
    "sent",
    "presence:update",
    (p) => p.sessionId === session.id && p.visible === true,
    30_000,
    reopened,
  );
  await expect.poll(async () => (await shownNotifications(worker)).some((n) => n.tag === tag)).toBe(false);

  // On another session, the "done" arrives; a tap on it switches the window to its session.
  await newSession(page, frames);
  await deliverPush(context, page, origin, done.text);
  await expect
    .poll(async () => (await shownNotifications(worker)).find((n) => n.tag === tag)?.title)
    .toBe("Done · Pushed from E2E");
  const mark = frames.mark();
  await tapNotification(worker, tag, "");
  await frames.waitFor("sent", "session:subscribe", (p) => p.sessionId === session.id, 30_000, mark);
  await expect(page.getByRole("button", { name: "Session settings" })).toContainText("Pushed from E2E");
  expect(await shownNotifications(worker)).not.toContainEqual(expect.objectContaining({ tag }));
});

test("Deny from the notification tells the agent no; a second tap finds it already answered", async ({
  page,
  context,
  frames,
  stack,
}) => {
  const connected = frames.mark();
  await page.reload();
  await frames.waitFor("received", "connection", () => true, 30_000, connected);
  await page.getByRole("button", { name: /^Sessions/ }).click();
  await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "Notifications" }).click();
  const sheet = page.getByRole("dialog", { name: "Notifications" });
  await sheet.getByRole("button", { name: "Turn on notifications" }).click();
  await expect(sheet.getByRole("status")).toHaveText("On for this device");
  const worker = await appServiceWorker(context);
  await page.goto("about:blank");

  const file = `${marker("denied")}.txt`;
  const prompt = `create ${file}`;
  await stack.script(
    [
      { kind: "message", blocks: [{ type: "tool_use", name: "Bash", input: { command: `touch ${file}` } }] },
      { kind: "message", blocks: [{ type: "text", text: "Understood, not creating it." }] },
    ],
    prompt,
  );
  const script = await scriptClient(origin);
  script.emit("session:create", { title: "Denied from E2E", requestId: crypto.randomUUID() });
  const session = await once<{ id: string }>(script, "session:created");
  const resolved = once<{ decision: string }>(script, "permission:resolved");
  const turnId = crypto.randomUUID();
  const answered = once<{ logs: string[]; requestId: string }>(script, "chat:response", (p) => p.requestId === turnId);
  script.emit("chat:send", { message: prompt, sessionId: session.id, requestId: turnId });
  const request = await once<{ permissionId: string }>(script, "permission:request");
  const message = await push.next(
    (m) => m.subscriptionId === subscription.id && m.payload.permissionId === request.permissionId,
    TURN_TIMEOUT_MS,
  );
  await deliverPush(context, page, origin, message.text);
  const tag = `session-${session.id}`;
  await expect.poll(async () => (await shownNotifications(worker)).some((n) => n.tag === tag)).toBe(true);

  await tapNotification(worker, tag, "deny");
  expect((await resolved).decision).toBe("deny");
  await answered;
  expect(existsSync(join(stack.workdir, file))).toBe(false);
  expect((await shownNotifications(worker)).find((n) => n.tag === tag)?.title).toBe(`Denied: Bash \`touch ${file}\``);

  // The same push delivered again (say, a retry): its token is spent, the worker says so.
  await deliverPush(context, page, origin, message.text);
  await expect.poll(async () => (await shownNotifications(worker)).find((n) => n.tag === tag)?.actions.length).toBe(2);
  await tapNotification(worker, tag, "allow");
  expect((await shownNotifications(worker)).find((n) => n.tag === tag)?.title).toBe("Already answered");
});

test.describe("on an iPhone, in a Safari tab", () => {
  test.use({ userAgent: IPHONE_SAFARI });

  test("the settings explain that notifications need the app on the Home Screen", async ({ page }) => {
    await page.getByRole("button", { name: /^Sessions/ }).click();
    await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "Notifications" }).click();
    const sheet = page.getByRole("dialog", { name: "Notifications" });
    await expect(sheet.getByRole("status")).toHaveText("Add to Home Screen first");
    await expect(sheet).toContainText("only work in the app added to the Home Screen");
    await expect(sheet.getByRole("listitem")).toHaveText([
      /^In Safari, tap Share/,
      "Choose “Add to Home Screen”.",
      /^Open Pocket Agent from its icon/,
    ]);
    await expect(sheet.getByRole("button", { name: "Turn on notifications" })).toHaveCount(0);
    await page.screenshot({ path: test.info().outputPath("notifications-ios.png") });
  });
});
