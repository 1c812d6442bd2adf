/** React access to the chat machine actor: a context plus a selector hook over useSyncExternalStore. */
import { createContext, useCallback, useContext, useSyncExternalStore } from "react";
import type { ActorRefFrom, SnapshotFrom } from "xstate";
import type { chatMachine } from "../chatMachine.ts";

export type ChatActorRef = ActorRefFrom<typeof chatMachine>;
export type ChatSnapshot = SnapshotFrom<typeof chatMachine>;

export const ChatActorContext = createContext<ChatActorRef | null>(null);

export function useChatActor(): ChatActorRef {
  const actor = useContext(ChatActorContext);
  if (!actor) throw new Error("useChatActor outside <ChatActorContext>");
  return actor;
}

/** Re-renders when the selected value changes. Selectors must return stable values (context fields, primitives). */
export function useChatSelector<T>(selector: (snapshot: ChatSnapshot) => T): T {
  const actor = useChatActor();
  const subscribe = useCallback(
    (onChange: () => void) => {
      const subscription = actor.subscribe({ next: onChange, error: onChange });
      return () => subscription.unsubscribe();
    },
    [actor],
  );
  const read = () => selector(actor.getSnapshot());
  return useSyncExternalStore(subscribe, read, read);
}
