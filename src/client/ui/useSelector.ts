/** Re-renders when the selected part of an actor's snapshot changes (selectors must return stable values). */
import { useCallback, useSyncExternalStore } from "react";
import { shellSnapshot } from "../startup/staticShell.ts";

/** An actor, or anything that offers its snapshots the way an actor does (voice/voiceControl.ts). */
export interface Observed<S> {
  getSnapshot(): S;
  subscribe(observer: { next: () => void; error: () => void }): { unsubscribe(): void };
}

export function useSelector<S, T>(actor: Observed<S>, selector: (snapshot: S) => T): T {
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
