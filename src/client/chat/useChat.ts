/** React access to the chat machine actor: a context plus a selector hook over useSyncExternalStore. */
import { createContext, useContext, useSyncExternalStore } from "react";
import type { ActorRefFrom, SnapshotFrom } from "xstate";
import { shellSnapshot } from "../startup/staticShell.ts";
import { frameBatchedSnapshots, type SnapshotStore } from "../ui/frameBatched.ts";
import type { chatMachine } from "./chatMachine.ts";

export type ChatActorRef = ActorRefFrom<typeof chatMachine>;
export type ChatSnapshot = SnapshotFrom<typeof chatMachine>;

export const ChatActorContext = createContext<ChatActorRef | null>(null);

export function useChatActor(): ChatActorRef {
  const actor = useContext(ChatActorContext);
  if (!actor) throw new Error("useChatActor outside <ChatActorContext>");
  return actor;
}

// One store per actor, shared by every component, so a frame renders one consistent snapshot.
const stores = new WeakMap<ChatActorRef, SnapshotStore<ChatSnapshot>>();

function storeFor(actor: ChatActorRef): SnapshotStore<ChatSnapshot> {
  let store = stores.get(actor);
  if (!store) {
    // Held until the first commit (useReleaseChatSnapshots): see FrameBatchedOptions.held.
    store = frameBatchedSnapshots(actor, { held: true });
    stores.set(actor, store);
  }
  return store;
}

/** For the app's root, in an effect: once the first render has committed, chat state flows to the view. */
export function releaseChatSnapshots(actor: ChatActorRef): void {
  storeFor(actor).release();
}

/**
 * Re-renders when the selected value changes, at most once per animation frame (see frameBatched.ts).
 * Selectors must return stable values (context fields, primitives). Event handlers that need the
 * very latest state read `actor.getSnapshot()`.
 */
export function useChatSelector<T>(selector: (snapshot: ChatSnapshot) => T): T {
  const actor = useChatActor();
  const store = storeFor(actor);
  const read = () => selector(store.getSnapshot());
  // Hydration (and the build's render) see the state the static shell was rendered from.
  const readShell = () => selector(shellSnapshot(actor));
  return useSyncExternalStore(store.subscribe, read, readShell);
}
