import { setWaiting, update } from "./serviceWorker.ts";

/**
 * Registers /sw.js once the first screen is shown and the browser is idle (startup/ui.tsx):
 * installing it downloads the whole app shell again (for offline use), which must not compete with
 * the first screen. Not part of the first screen's code either, for the same reason.
 */
export async function registerServiceWorker(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // Only the update the user asked for reloads the page (a first install just takes control).
    if (!update.requested) return;
    update.requested = false;
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
