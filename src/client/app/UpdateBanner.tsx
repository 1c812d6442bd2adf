import { useSyncExternalStore } from "react";
import { Button } from "../ui/button.tsx";
import { applyUpdate, updateStore } from "./serviceWorker.ts";

/** "Update available · Reload" once a new version of the app is installed and waiting. */
export function UpdateBanner() {
  const ready = useSyncExternalStore(updateStore.subscribe, updateStore.getSnapshot, () => false);
  if (!ready) return null;
  return (
    <div
      role="status"
      className="flex shrink-0 items-center justify-between gap-3 bg-primary px-4 py-2 text-primary-foreground text-sm"
    >
      <span>Update available</span>
      <Button variant="secondary" size="sm" onClick={applyUpdate}>
        Reload
      </Button>
    </div>
  );
}
