/** Re-renders when the selected part of an actor's snapshot changes (selectors must return stable values). */
import { useCallback, useSyncExternalStore } from "react";
import type { AnyActorRef, SnapshotFrom } from "xstate";
import { shellSnapshot } from "../startup/staticShell.ts";

export function useSelector<A extends AnyActorRef, T>(actor: A, selector: (snapshot: SnapshotFrom<A>) => T): T {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const subscription = actor.subscribe({ next: onChange, error: onChange });
      return () => subscription.unsubscribe();
    },
    [actor],
  );
  const read = () => selector(actor.getSnapshot());
  // Hydration (and the build's render) see the state the static shell was rendered from.
  const readShell = () => selector(shellSnapshot(actor));
  return useSyncExternalStore(subscribe, read, readShell);
}
