/**
 * Registers /sw.js (production builds only) and tells the UI when a new
 * version is installed and waiting, so it can offer "Update available · Reload".
 */
type Listener = () => void;

let waiting: ServiceWorker | null = null;
let updateRequested = false;
const listeners = new Set<Listener>();

function setWaiting(worker: ServiceWorker | null): void {
  waiting = worker;
  for (const listener of listeners) listener();
}

export const updateStore = {
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  getSnapshot(): boolean {
    return waiting !== null;
  },
};

/** Activates the waiting version; the page reloads once it controls the page. */
export function applyUpdate(): void {
  if (!waiting) {
    location.reload();
    return;
  }
  updateRequested = true;
  waiting.postMessage({ type: "SKIP_WAITING" });
}

/**
 * Registers the worker once the page has loaded and the browser is idle: installing it downloads
 * the whole app shell again (for offline use), which must not compete with the first screen.
 */
export function registerServiceWorkerWhenIdle(): void {
  if (!("serviceWorker" in navigator)) return;
  const register = () => {
    if (typeof requestIdleCallback === "function") requestIdleCallback(() => void registerServiceWorker());
    else setTimeout(() => void registerServiceWorker(), 1_000);
  };
  if (document.readyState === "complete") register();
  else addEventListener("load", register, { once: true });
}

export async function registerServiceWorker(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // Only the update the user asked for reloads the page (a first install just takes control).
    if (!updateRequested) return;
    updateRequested = false;
    location.reload();
  });
  try {
    const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    if (registration.waiting && navigator.serviceWorker.controller) setWaiting(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const installing = registration.installing;
      if (!installing) return;
      installing.addEventListener("statechange", () => {
        if (installing.state === "installed" && navigator.serviceWorker.controller) setWaiting(installing);
      });
    });
    // Look for a new version when the app comes back to the foreground.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") registration.update().catch(() => {});
    });
  } catch {
    // No service worker (e.g. plain http on a LAN address): the app works, just not offline.
  }
}
