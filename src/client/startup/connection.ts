/**
 * Start-up, stage 1: the connection. Evaluating this chunk defines the chat machine (XState and
 * Socket.IO's code run for the first time here); `connect()` creates the socket and the chat actor
 * and starts connecting, while the conversation saved on the device is read (decision 023). main.tsx runs the two in separate tasks.
 */
import { type ActorRefFrom, createActor } from "xstate";
import { chatMachine } from "../chat/chatMachine.ts";
import { createSocket } from "../connection/socket.ts";
import { browserConversationCache } from "../offline/indexedDbCache.ts";

export type ChatActor = ActorRefFrom<typeof chatMachine>;

/** `sessionId`: open this session first (the app was opened from a notification). */
export function connect({ sessionId }: { sessionId?: string | null } = {}): ChatActor {
  const socket = createSocket();
  const actor = createActor(chatMachine, {
    input: { socket, initialSessionId: sessionId ?? null, savedConversations: browserConversationCache() },
  });
  actor.start();
  return actor;
}
