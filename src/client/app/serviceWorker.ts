/**
 * Whether a new version of the app is installed and waiting, so that the UI can offer "Update
 * available · Reload". The registration that finds out is registerServiceWorker.ts, loaded once the
 * first screen is shown (production builds only).
 */
type Listener = () => void;

let waiting: ServiceWorker | null = null;
/** Whether the page asked the waiting version to take over (it then reloads when it does). */
export const update = { requested: false };
const listeners = new Set<Listener>();

export function setWaiting(worker: ServiceWorker | null): void {
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
  update.requested = true;
  waiting.postMessage({ type: "SKIP_WAITING" });
}
