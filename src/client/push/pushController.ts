/**
 * The one push actor of the app, made on first use: in the background once the page is idle (it
 * re-sends this browser's subscription, see pushMachine.ts), or when the Notifications sheet opens
 * first. It re-syncs after every reconnect and whenever the page comes back to the foreground.
 */
import { type ActorRefFrom, createActor } from "xstate";
import type { ChatActorRef } from "../chat/useChat.ts";
import { browserPush } from "./browserPush.ts";
import { pushMachine } from "./pushMachine.ts";
import { defaultDeviceName } from "./support.ts";

export type PushActorRef = ActorRefFrom<typeof pushMachine>;

let actor: PushActorRef | null = null;

function storage(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}

export function pushActorFor(chat: ChatActorRef): PushActorRef {
  if (actor) return actor;
  const created = createActor(pushMachine, {
    input: {
      browser: browserPush,
      socket: chat.getSnapshot().context.socket,
      vapidKey: () => chat.getSnapshot().context.connection.vapidPublicKey,
      storage: storage(),
      defaultName: defaultDeviceName(navigator.userAgent, navigator.maxTouchPoints),
    },
  });
  actor = created;
  let connected = chat.getSnapshot().context.connection.status === "connected";
  chat.subscribe((snapshot) => {
    const now = snapshot.context.connection.status === "connected";
    // The server forgets which device a socket is when it reconnects: tell it again.
    if (now && !connected) created.send({ type: "SYNC" });
    connected = now;
  });
  // Back from the background: the permission may have changed in the browser's settings meanwhile.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && connected) created.send({ type: "SYNC" });
  });
  created.start();
  return created;
}
