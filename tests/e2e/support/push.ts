/**
 * Web Push in Chromium for the E2E specs.
 *
 * Headless Chromium here has no push service to register with: `pushManager.subscribe()` fails
 * at once ("AbortError: Registration failed - permission denied") even with permission granted.
 * So only that network leg is stubbed: the page's `PushManager.prototype.subscribe` still calls
 * the real one first, and only when it fails returns a subscription at the tests' fake push
 * service (tests/fixtures/fakePushService.ts), with keys whose private half the test holds.
 * Everything after it is real: the app's push:subscribe, the server's VAPID-signed, encrypted
 * request, the fake service's decryption, and the delivery to the real service worker through the
 * DevTools protocol (`ServiceWorker.deliverPushMessage`), which shows the real notification.
 */
import type { BrowserContext, Page, Worker } from "@playwright/test";

/** Chrome on Android, where web push works in a tab (the phone project otherwise says iPhone). */
export const ANDROID_CHROME =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
/** Safari on an iPhone, in a tab: web push needs the app on the Home Screen there. */
export const IPHONE_SAFARI =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

export interface StubbedSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** What the stub saw: the key the app subscribed with, and why the real subscribe failed. */
export interface StubRecord {
  applicationServerKey: string | null;
  realError: string | null;
  userVisibleOnly: boolean;
}

/** Installs the stub in every page of the context (before any of its scripts run). */
export async function stubPushNetworkLeg(context: BrowserContext, subscription: StubbedSubscription): Promise<void> {
  await context.addInitScript((sub: StubbedSubscription) => {
    const STORE = "e2e:push-subscription";
    const toBase64Url = (buffer: ArrayBuffer) =>
      btoa(String.fromCharCode(...new Uint8Array(buffer)))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
    const fromBase64Url = (text: string) =>
      Uint8Array.from(
        atob(
          text
            .replace(/-/g, "+")
            .replace(/_/g, "/")
            .padEnd(Math.ceil(text.length / 4) * 4, "="),
        ),
        (c) => c.charCodeAt(0),
      ).buffer;
    const record: StubRecord = { applicationServerKey: null, realError: null, userVisibleOnly: false };
    (window as unknown as { __pushStub: StubRecord }).__pushStub = record;
    const fake = (serverKey: string) => ({
      endpoint: sub.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: fromBase64Url(serverKey) },
      getKey: (name: string) => fromBase64Url(name === "p256dh" ? sub.keys.p256dh : sub.keys.auth),
      toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }),
      unsubscribe: async () => {
        localStorage.removeItem(STORE);
        return true;
      },
    });
    const realSubscribe = PushManager.prototype.subscribe;
    const realGet = PushManager.prototype.getSubscription;
    PushManager.prototype.subscribe = async function (this: PushManager, options?: PushSubscriptionOptionsInit) {
      record.userVisibleOnly = options?.userVisibleOnly === true;
      const key = options?.applicationServerKey;
      record.applicationServerKey =
        key instanceof ArrayBuffer
          ? toBase64Url(key)
          : ArrayBuffer.isView(key)
            ? toBase64Url(new Uint8Array(key.buffer, key.byteOffset, key.byteLength).slice().buffer)
            : null;
      try {
        return await realSubscribe.call(this, options);
      } catch (error) {
        // The network leg: no push service reachable from here.
        record.realError = `${(error as Error).name}: ${(error as Error).message}`;
      }
      if (!record.userVisibleOnly || !record.applicationServerKey)
        throw new DOMException("bad options", "NotAllowedError");
      localStorage.setItem(STORE, record.applicationServerKey);
      return fake(record.applicationServerKey) as unknown as PushSubscription;
    };
    PushManager.prototype.getSubscription = async function (this: PushManager) {
      const real = await realGet.call(this);
      if (real) return real;
      const key = localStorage.getItem(STORE);
      return key ? (fake(key) as unknown as PushSubscription) : null;
    };
  }, subscription);
}

export async function stubRecord(page: Page): Promise<StubRecord> {
  return page.evaluate(() => (window as unknown as { __pushStub: StubRecord }).__pushStub);
}

/** The app's service worker (waits for it to be running). */
export async function appServiceWorker(context: BrowserContext): Promise<Worker> {
  const running = context.serviceWorkers().find((w) => w.url().endsWith("/sw.js"));
  return running ?? context.waitForEvent("serviceworker", { predicate: (w) => w.url().endsWith("/sw.js") });
}

/**
 * Delivers `data` to the app's service worker as a push message (DevTools `ServiceWorker.deliverPushMessage`).
 *
 * The worker is started first, and the push delivered once it runs and its script answers: a push
 * DevTools delivered straight away now and then reached no worker at all (about one run in four,
 * nothing shown and no error), with the app open or closed. Even so one in a few full runs still
 * lost one, so a push that shows nothing within 5 s is delivered again (at most three times).
 * Waking a worker for a push is the browser's job, not the app's; what the app's worker does with
 * the push is what is tested, and the test still fails if it never shows the notification.
 */
export async function deliverPush(context: BrowserContext, page: Page, origin: string, data: string): Promise<void> {
  const cdp = await context.newCDPSession(page);
  const scopeURL = `${origin}/`;
  try {
    let registrationId: string | null = null;
    const running = new Set<string>();
    let settle: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      settle = () => {
        if (registrationId !== null && running.has(registrationId)) resolve();
      };
    });
    cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations: list }) => {
      const mine = list.find((r) => r.scopeURL === scopeURL && !r.isDeleted);
      if (mine && registrationId === null) registrationId = mine.registrationId;
      settle();
    });
    cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
      for (const version of versions) {
        if (version.status === "activated" && version.runningStatus === "running") running.add(version.registrationId);
        else running.delete(version.registrationId);
      }
      settle();
    });
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.startWorker", { scopeURL });
    await ready;
    // And its script answers: "running" alone was not always enough for the push to land.
    const worker = await appServiceWorker(context);
    await worker.evaluate(() => true);
    // Every push the worker handles shows a notification (the browser requires one), so a push
    // that left no new one did not reach it: delivered again, at most DELIVERIES times. A push that
    // did reach it is never delivered twice.
    const before = await newestNotificationTime(worker);
    for (let attempt = 1; attempt <= DELIVERIES; attempt++) {
      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin,
        registrationId: registrationId as unknown as string,
        data,
      });
      if (await shownSince(worker, before, DELIVERY_WAIT_MS)) return;
    }
  } finally {
    await cdp.detach();
  }
}

const DELIVERIES = 3;
const DELIVERY_WAIT_MS = 5_000;

/** The newest `timestamp` among the worker's notifications (0 when none). */
function newestNotificationTime(worker: Worker): Promise<number> {
  return worker.evaluate(async () => {
    const list = await (self as unknown as ServiceWorkerGlobalScope).registration.getNotifications();
    return Math.max(0, ...list.map((n) => (n as Notification & { timestamp?: number }).timestamp ?? 0));
  });
}

/** Whether a notification newer than `since` appears within `timeoutMs` (polled, no fixed sleep). */
async function shownSince(worker: Worker, since: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await newestNotificationTime(worker)) > since) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

export interface ShownNotification {
  title: string;
  body: string;
  tag: string;
  actions: { action: string; title: string }[];
}

/** `registration.getNotifications()`, read inside the service worker. */
export async function shownNotifications(worker: Worker): Promise<ShownNotification[]> {
  return worker.evaluate(async () => {
    const scope = self as unknown as ServiceWorkerGlobalScope;
    const list = await scope.registration.getNotifications();
    return list.map((n) => ({
      title: n.title,
      body: n.body,
      tag: n.tag,
      actions: [...((n as Notification & { actions?: { action: string; title: string }[] }).actions ?? [])].map(
        ({ action, title }) => ({ action, title }),
      ),
    }));
  });
}

/**
 * The user taps the notification with `tag` (an action button, or the body when `action` is "").
 * No browser API clicks a notification, so the worker's own `notificationclick` listener is run
 * with an event carrying the real notification; a script-made NotificationEvent refuses
 * `waitUntil`, so the event here collects the promise, and this waits for it.
 */
export async function tapNotification(worker: Worker, tag: string, action: string): Promise<void> {
  await worker.evaluate(
    async ({ tag, action }) => {
      const scope = self as unknown as ServiceWorkerGlobalScope;
      const [notification] = await scope.registration.getNotifications({ tag });
      if (!notification) throw new Error(`no notification with tag ${tag}`);
      const pending: Promise<unknown>[] = [];
      const event = new Event("notificationclick");
      Object.defineProperties(event, {
        notification: { value: notification },
        action: { value: action },
        waitUntil: { value: (promise: Promise<unknown>) => pending.push(promise) },
      });
      scope.dispatchEvent(event);
      if (pending.length === 0) throw new Error("the worker's notificationclick listener did not run");
      await Promise.all(pending);
    },
    { tag, action },
  );
}
