/**
 * Pocket Agent's service worker (built to /sw.js by scripts/build.ts).
 *
 * - Precaches the versioned app shell (index.html + hashed assets + icons).
 * - Navigations: network first (fresh index.html when the server is up), else
 *   the cached shell, whose UI then says the server is unreachable.
 * - Hashed assets: cache first. Never touches Socket.IO, /api, /healthz or a
 *   pairing URL (`?token=`). Which request gets what: `swRoutes.ts`.
 * - A new version waits until the page asks it to take over ("Reload").
 * - Web Push: shows each notification (Allow/Deny on a permission request), answers Allow/Deny
 *   through /api/push/action without opening the app, and opens the app on the session when a
 *   notification is tapped (`push/swNotifications.ts`).
 */

import { onNotificationClick, onPush, type SwDeps, type WindowLike } from "./push/swNotifications.ts";
import { strategyFor } from "./swRoutes.ts";

declare const __SW_VERSION__: string;
declare const __PRECACHE__: readonly string[];

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE_PREFIX = "pocket-agent-";
const CACHE = `${CACHE_PREFIX}${__SW_VERSION__}`;
const SHELL = "/index.html";
const NAVIGATION_TIMEOUT_MS = 4_000;

const OFFLINE_PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Pocket Agent</title><body style="font-family:system-ui,sans-serif;padding:2rem;max-width:32rem;margin:auto;line-height:1.5"><h1 style="font-size:1.25rem">Can't reach the server</h1><p>Pocket Agent on your workstation is not answering. Check that it is running and that this device can reach it, then reload.</p></body></html>`;

sw.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(__PRECACHE__.map((url) => new Request(url, { cache: "reload" })))),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE).map((n) => caches.delete(n)),
      );
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener("message", (event) => {
  const data: unknown = event.data;
  if (typeof data === "object" && data !== null && "type" in data && data.type === "SKIP_WAITING") {
    void sw.skipWaiting();
  }
});

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

async function navigate(request: Request): Promise<Response> {
  try {
    const response = await Promise.race([fetch(request), timeout(NAVIGATION_TIMEOUT_MS)]);
    if (response.ok) return response;
    const shell = await caches.match(SHELL);
    return response.status >= 500 && shell ? shell : response;
  } catch {
    const shell = await caches.match(SHELL);
    return (
      shell ?? new Response(OFFLINE_PAGE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } })
    );
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function networkFirst(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match(request);
    if (cached) return cached;
    throw error;
  }
}

sw.addEventListener("fetch", (event) => {
  const { request } = event;
  const strategy = strategyFor(request, sw.location.origin, __PRECACHE__);
  // null: anything else goes to the network untouched.
  if (strategy === "navigate") event.respondWith(navigate(request));
  else if (strategy === "network-first") event.respondWith(networkFirst(request));
  else if (strategy === "cache-first") event.respondWith(cacheFirst(request));
});

// -- Web Push ----------------------------------------------------------------------------------------

const pushDeps: SwDeps = {
  origin: sw.location.origin,
  fetch: (input, init) => fetch(input, init),
  showNotification: (title, options) => sw.registration.showNotification(title, options as NotificationOptions),
  windows: async () =>
    (await sw.clients.matchAll({ type: "window", includeUncontrolled: true })) as unknown as readonly WindowLike[],
  openWindow: (url) => sw.clients.openWindow(url),
  setBadge: async (count) => {
    const nav = sw.navigator as WorkerNavigator & {
      setAppBadge?: (n?: number) => Promise<void>;
      clearAppBadge?: () => Promise<void>;
    };
    if (count > 0) await nav.setAppBadge?.(count);
    else await nav.clearAppBadge?.();
  },
};

sw.addEventListener("push", (event) => {
  let data: unknown = null;
  try {
    data = event.data?.json() ?? null;
  } catch {
    // Not JSON: onPush shows a plain notification.
  }
  event.waitUntil(onPush(data, pushDeps));
});

sw.addEventListener("notificationclick", (event) => {
  event.waitUntil(onNotificationClick(event.notification, event.action, pushDeps));
});
