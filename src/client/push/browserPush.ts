/**
 * The browser side of Web Push for the push machine: notification permission, and this browser's
 * subscription at its push service (through the service worker's registration). The machine's
 * tests use a stand-in with the same shape.
 */
import type { PushSubscriptionJson } from "../../shared/messages.ts";
import { browserPushEnvironment, type PushSupport, pushSupport } from "./support.ts";

export type PermissionState = "default" | "granted" | "denied";

export interface PushBrowser {
  support(): PushSupport;
  permission(): PermissionState;
  /** Asks the user (only ever from a tap). */
  requestPermission(): Promise<PermissionState>;
  /** This browser's subscription, and the server key it was made with (null when unknown). */
  current(): Promise<{ subscription: PushSubscriptionJson; serverKey: string | null } | null>;
  subscribe(vapidPublicKey: string): Promise<PushSubscriptionJson>;
  /** Ends this browser's subscription (nothing to do when there is none). */
  unsubscribe(): Promise<void>;
}

/** How long to wait for the service worker when the page has just loaded. */
const WORKER_WAIT_MS = 10_000;

export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64Url(buffer: ArrayBuffer | Uint8Array): string {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The JSON the server takes, from a browser subscription; throws if the browser left out a key. */
export function subscriptionJsonOf(subscription: PushSubscription): PushSubscriptionJson {
  const json = subscription.toJSON();
  const p256dh = json.keys?.p256dh;
  const auth = json.keys?.auth;
  if (!json.endpoint || !p256dh || !auth) throw new Error("The browser's push subscription has no encryption keys.");
  return { endpoint: json.endpoint, expirationTime: json.expirationTime ?? null, keys: { p256dh, auth } };
}

async function registration(): Promise<ServiceWorkerRegistration> {
  const existing = await navigator.serviceWorker.getRegistration("/");
  if (existing?.active) return existing;
  // Registered when the page went idle (src/client/app/serviceWorker.ts): wait for it a little.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("The app's service worker is not running, so it cannot receive notifications.")),
      WORKER_WAIT_MS,
    );
  });
  try {
    return await Promise.race([navigator.serviceWorker.ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const browserPush: PushBrowser = {
  support: () => pushSupport(browserPushEnvironment()),
  permission: () => (typeof Notification === "undefined" ? "denied" : Notification.permission),
  requestPermission: async () => Notification.requestPermission(),
  async current() {
    const reg = await navigator.serviceWorker.getRegistration("/");
    const subscription = await reg?.pushManager.getSubscription();
    if (!subscription) return null;
    const key = subscription.options?.applicationServerKey;
    return { subscription: subscriptionJsonOf(subscription), serverKey: key ? bytesToBase64Url(key) : null };
  },
  async subscribe(vapidPublicKey) {
    const reg = await registration();
    const subscription = await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlToBytes(vapidPublicKey),
    });
    return subscriptionJsonOf(subscription);
  },
  async unsubscribe() {
    const reg = await navigator.serviceWorker.getRegistration("/");
    await (await reg?.pushManager.getSubscription())?.unsubscribe();
  },
};
