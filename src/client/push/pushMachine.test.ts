import { afterEach, describe, expect, test } from "bun:test";
import { type Actor, createActor, waitFor } from "xstate";
import type { PushSubscriptionJson } from "../../shared/messages.ts";
import type { KeyValueStore } from "../chat/types.ts";
import { FakeServer, FakeSocket } from "../testing/fakeSocket.ts";
import type { PermissionState, PushBrowser } from "./browserPush.ts";
import { pushMachine } from "./pushMachine.ts";
import type { PushSupport } from "./support.ts";

/** The settings' flow against the fake server and a stand-in for the browser's push APIs. */
class MemoryStorage implements KeyValueStore {
  readonly data = new Map<string, string>();
  getItem = (key: string) => this.data.get(key) ?? null;
  setItem = (key: string, value: string) => void this.data.set(key, value);
  removeItem = (key: string) => void this.data.delete(key);
}

class FakeBrowser implements PushBrowser {
  supported: PushSupport = { ok: true };
  state: PermissionState = "default";
  /** What the user answers to the permission prompt. */
  answer: PermissionState = "granted";
  prompts = 0;
  sub: { subscription: PushSubscriptionJson; serverKey: string } | null = null;
  subscribedWith: string[] = [];
  unsubscribes = 0;
  private n = 0;

  support = () => this.supported;
  permission = () => this.state;
  requestPermission = async () => {
    this.prompts++;
    this.state = this.answer;
    return this.state;
  };
  current = async () => this.sub;
  subscribe = async (key: string) => {
    this.subscribedWith.push(key);
    this.n++;
    const subscription = {
      endpoint: `https://push.example/device-${this.n}`,
      expirationTime: null,
      keys: { p256dh: `B${"k".repeat(86)}`, auth: "a".repeat(22) },
    };
    this.sub = { subscription, serverKey: key };
    return subscription;
  };
  unsubscribe = async () => {
    this.unsubscribes++;
    this.sub = null;
  };
}

const running: Actor<typeof pushMachine>[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

function start(browser = new FakeBrowser(), server = new FakeServer(), storage = new MemoryStorage()) {
  const socket = new FakeSocket(server);
  socket.openNow();
  const actor = createActor(pushMachine, {
    input: {
      browser,
      socket,
      vapidKey: () => server.vapidPublicKey,
      storage,
      defaultName: "Android phone",
      timeoutMs: 500,
    },
  });
  running.push(actor);
  actor.start();
  const until = (state: "on" | "off" | "blocked" | "unsupported") =>
    waitFor(actor, (s) => s.matches(state), { timeout: 1_000 });
  return { actor, browser, server, storage, until };
}

describe("notifications for this device", () => {
  test("off on load, and the browser is never asked until the user taps", async () => {
    const { browser, until } = start();
    await until("off");
    expect(browser.prompts).toBe(0);
  });

  test("turning them on: the prompt, a subscription with the server's key, push:subscribe with the choices", async () => {
    const h = start();
    await h.until("off");
    h.actor.send({ type: "ENABLE" });
    const snap = await h.until("on");
    expect(h.browser.prompts).toBe(1);
    expect(h.browser.subscribedWith).toEqual([h.server.vapidPublicKey]);
    expect(h.server.requests("push:subscribe")).toEqual([
      expect.objectContaining({
        subscription: h.browser.sub?.subscription,
        deviceName: "Android phone",
        events: ["permission", "question", "done", "error"],
      }),
    ]);
    expect(snap.context.subscription?.endpoint).toBe("https://push.example/device-1");
  });

  test("the user refuses the prompt: blocked", async () => {
    const browser = new FakeBrowser();
    browser.answer = "denied";
    const h = start(browser);
    await h.until("off");
    h.actor.send({ type: "ENABLE" });
    await h.until("blocked");
    expect(h.server.requests("push:subscribe")).toEqual([]);
  });

  test("blocked in the browser's settings, or unsupported here: said so at once", async () => {
    const blocked = new FakeBrowser();
    blocked.state = "denied";
    await start(blocked).until("blocked");
    const ios = new FakeBrowser();
    ios.supported = { ok: false, reason: "ios-home-screen" };
    const snap = await start(ios).until("unsupported");
    expect(snap.context.support).toEqual({ ok: false, reason: "ios-home-screen" });
  });

  test("already subscribed at start: the subscription is sent again (same endpoint, same device)", async () => {
    const browser = new FakeBrowser();
    browser.state = "granted";
    const server = new FakeServer();
    await browser.subscribe(server.vapidPublicKey);
    const h = start(browser, server);
    await h.until("on");
    expect(server.requests("push:subscribe")).toHaveLength(1);
    expect(server.requests("push:subscribe")[0]?.subscription.endpoint).toBe("https://push.example/device-1");
    expect(browser.prompts).toBe(0);
    h.actor.send({ type: "SYNC" });
    await waitFor(h.actor, () => server.requests("push:subscribe").length === 2, { timeout: 1_000 });
    await h.until("on");
    expect(server.pushDevices.size).toBe(1);
  });

  test("a subscription made with an old server key is renewed with the new one", async () => {
    const browser = new FakeBrowser();
    browser.state = "granted";
    await browser.subscribe("the-old-key");
    const h = start(browser);
    await h.until("on");
    expect(browser.unsubscribes).toBe(1);
    expect(browser.subscribedWith).toEqual(["the-old-key", h.server.vapidPublicKey]);
    expect(h.server.requests("push:subscribe")[0]?.subscription.endpoint).toBe("https://push.example/device-2");
  });

  test("name and events: saved on the device and sent to the server", async () => {
    const h = start();
    await h.until("off");
    h.actor.send({ type: "ENABLE" });
    await h.until("on");
    h.actor.send({ type: "SAVE", deviceName: "  Work\n phone ", events: ["permission", "error"] });
    await waitFor(h.actor, () => h.server.requests("push:subscribe").length === 2, { timeout: 1_000 });
    await h.until("on");
    expect(h.server.requests("push:subscribe")[1]).toMatchObject({
      deviceName: "Work phone",
      events: ["permission", "error"],
    });
    expect(JSON.parse(h.storage.getItem("pocket-agent:push") ?? "{}")).toEqual({
      deviceName: "Work phone",
      events: ["permission", "error"],
    });
  });

  test("the test notification reports how many devices got it; an error is shown, then dismissed", async () => {
    const h = start();
    await h.until("off");
    h.actor.send({ type: "ENABLE" });
    await h.until("on");
    h.actor.send({ type: "TEST" });
    await waitFor(h.actor, (s) => s.context.tested !== null, { timeout: 1_000 });
    expect(h.actor.getSnapshot().context.tested).toEqual({ sent: 1 });

    h.server.pushDevices.clear();
    h.actor.send({ type: "TEST" });
    const failed = await waitFor(h.actor, (s) => s.context.error !== null, { timeout: 1_000 });
    expect(failed.context.error?.code).toBe("PUSH_NOT_SUBSCRIBED");
    h.actor.send({ type: "DISMISS_ERROR" });
    expect(h.actor.getSnapshot().context.error).toBeNull();
  });

  test("turning them off: the browser's subscription ends, then the server forgets the device", async () => {
    const h = start();
    await h.until("off");
    h.actor.send({ type: "ENABLE" });
    await h.until("on");
    const endpoint = h.browser.sub?.subscription.endpoint;
    h.actor.send({ type: "DISABLE" });
    await h.until("off");
    expect(h.browser.unsubscribes).toBe(1);
    expect(h.server.requests("push:unsubscribe")).toEqual([expect.objectContaining({ endpoint })]);
    expect(h.server.pushDevices.size).toBe(0);
  });
});
