/**
 * The chat machine's actors. Outside event sources are callback actors (the socket's listeners,
 * the browser's visibility/online events); every request is a promise actor that emits one typed
 * message and settles on the reply with the same requestId, on its `*:error`, on a disconnect or
 * on a timeout (connection/request.ts).
 */
import { fromCallback, fromPromise } from "xstate";
import { IMPORT_TIMEOUT_MS } from "../../shared/constants.ts";
import { onMachine } from "../../shared/machines.ts";
import type { ServerEventName, ServerMessage, ServerPayload, Session, SessionEvent } from "../../shared/messages.ts";
import { warnUnknownEvent } from "../connection/checkedSocket.ts";
import { requestReply, socketRequest } from "../connection/request.ts";
import type { ChatSocket } from "../connection/socket.ts";
import { refusalCode } from "../connection/status.ts";
import { asSessionEvent } from "./reducers.ts";
import { queueRequest } from "./serialQueue.ts";
import type { PendingSend } from "./turns.ts";
import type {
  BrowserEnvironment,
  CancelRequest,
  ChatEvent,
  CreatablePermissionMode,
  PermissionAnswer,
  SessionOp,
} from "./types.ts";

/** Builds the `{ type, payload }` message for each server event; a missing event name does not compile. */
const serverMessageBuilders: { [K in ServerEventName]: (payload: ServerPayload<K>) => ServerMessage } = {
  connection: (payload) => ({ type: "connection", payload }),
  "session:list": (payload) => ({ type: "session:list", payload }),
  "session:created": (payload) => ({ type: "session:created", payload }),
  "session:updated": (payload) => ({ type: "session:updated", payload }),
  "session:deleted": (payload) => ({ type: "session:deleted", payload }),
  "session:found": (payload) => ({ type: "session:found", payload }),
  "session:subscribed": (payload) => ({ type: "session:subscribed", payload }),
  "session:unsubscribed": (payload) => ({ type: "session:unsubscribed", payload }),
  "session:history": (payload) => ({ type: "session:history", payload }),
  "session:error": (payload) => ({ type: "session:error", payload }),
  "chat:queued": (payload) => ({ type: "chat:queued", payload }),
  "chat:started": (payload) => ({ type: "chat:started", payload }),
  "chat:delta": (payload) => ({ type: "chat:delta", payload }),
  log: (payload) => ({ type: "log", payload }),
  "chat:response": (payload) => ({ type: "chat:response", payload }),
  "chat:error": (payload) => ({ type: "chat:error", payload }),
  "chat:notice": (payload) => ({ type: "chat:notice", payload }),
  "permission:request": (payload) => ({ type: "permission:request", payload }),
  "permission:resolved": (payload) => ({ type: "permission:resolved", payload }),
  "permission:error": (payload) => ({ type: "permission:error", payload }),
  "permission:rules": (payload) => ({ type: "permission:rules", payload }),
  "permission:revoked": (payload) => ({ type: "permission:revoked", payload }),
  "project:list": (payload) => ({ type: "project:list", payload }),
  "project:sessions": (payload) => ({ type: "project:sessions", payload }),
  "project:error": (payload) => ({ type: "project:error", payload }),
  "push:subscribed": (payload) => ({ type: "push:subscribed", payload }),
  "push:unsubscribed": (payload) => ({ type: "push:unsubscribed", payload }),
  "push:tested": (payload) => ({ type: "push:tested", payload }),
  "push:error": (payload) => ({ type: "push:error", payload }),
  "commands:result": (payload) => ({ type: "commands:result", payload }),
  "commands:error": (payload) => ({ type: "commands:error", payload }),
  "turn:changes": (payload) => ({ type: "turn:changes", payload }),
  "changes:result": (payload) => ({ type: "changes:result", payload }),
  "changes:error": (payload) => ({ type: "changes:error", payload }),
  "file:content": (payload) => ({ type: "file:content", payload }),
  "file:error": (payload) => ({ type: "file:error", payload }),
  "machine:list": (payload) => ({ type: "machine:list", payload }),
  "machine:added": (payload) => ({ type: "machine:added", payload }),
  "machine:removed": (payload) => ({ type: "machine:removed", payload }),
  "machine:updated": (payload) => ({ type: "machine:updated", payload }),
  "machine:pong": (payload) => ({ type: "machine:pong", payload }),
  "machine:error": (payload) => ({ type: "machine:error", payload }),
};

function forwardServerEvent<K extends ServerEventName>(
  socket: ChatSocket,
  name: K,
  build: (payload: ServerPayload<K>) => ServerMessage,
  send: (event: ChatEvent) => void,
): () => void {
  const listener = (payload: ServerPayload<K>) => send({ type: "SERVER", message: build(payload) });
  socket.on(name, listener);
  return () => socket.off(name, listener);
}

/** What the machine tells `socketEvents` while it subscribes to a session. */
export type SocketEventsCommand = { type: "REPLAY.HOLD" } | { type: "REPLAY.RELEASE" };

/**
 * Forwards every socket event to the machine, then connects (listeners first, so nothing is missed).
 *
 * While a subscription is under way (`REPLAY.HOLD` … `REPLAY.RELEASE`) the session events the server
 * replays are held and reach the machine as one `SERVER.REPLAY`: opening a conversation of hundreds
 * of events is one step instead of hundreds, each of which rebuilt the turns (a long task on a
 * phone). Anything else that arrives, above all the `session:subscribed` that ends the replay,
 * first lets the held events through, so the machine still sees everything in the server's order.
 */
export const socketEvents = fromCallback<SocketEventsCommand, { socket: ChatSocket }>(
  ({ input, sendBack, receive }) => {
    const { socket } = input;
    let held: SessionEvent[] | null = null;
    const letThrough = () => {
      if (held?.length) sendBack({ type: "SERVER.REPLAY", events: held } satisfies ChatEvent);
      if (held) held = [];
    };
    const send = (event: ChatEvent) => {
      const sessionEvent = held && event.type === "SERVER" ? asSessionEvent(event.message) : null;
      if (held && sessionEvent) {
        held.push(sessionEvent);
        return;
      }
      letThrough();
      if (
        event.type === "SERVER" &&
        (event.message.type === "session:subscribed" || event.message.type === "session:error")
      )
        held = null;
      sendBack(event);
    };
    receive((command) => {
      if (command.type === "REPLAY.HOLD") held ??= [];
      else {
        letThrough();
        held = null;
      }
    });
    const cleanups: Array<() => void> = [];
    const names = Object.keys(serverMessageBuilders) as ServerEventName[];
    for (const name of names) {
      cleanups.push(bindBuilder(socket, name, send));
    }
    const onConnect = () => send({ type: "SOCKET.CONNECTED", missedGreeting: false });
    const onDisconnect = (reason: string) =>
      send({ type: "SOCKET.DISCONNECTED", reason, willReconnect: socket.active });
    const onConnectError = (error: Error) =>
      send({
        type: "SOCKET.CONNECT_ERROR",
        message: error.message,
        code: refusalCode(error),
        willRetry: socket.active,
      });
    socket.onAny(warnUnknownEvent);
    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("connect_error", onConnectError);
    cleanups.push(
      () => socket.offAny(warnUnknownEvent),
      () => socket.off("connect", onConnect),
      () => socket.off("disconnect", onDisconnect),
      () => socket.off("connect_error", onConnectError),
    );

    if (socket.connected) send({ type: "SOCKET.CONNECTED", missedGreeting: true });
    else socket.connect();

    return () => {
      for (const cleanup of cleanups) cleanup();
    };
  },
);

function bindBuilder<K extends ServerEventName>(
  socket: ChatSocket,
  name: K,
  send: (event: ChatEvent) => void,
): () => void {
  const builders: { [N in ServerEventName]: (payload: ServerPayload<N>) => ServerMessage } = serverMessageBuilders;
  return forwardServerEvent(socket, name, builders[name], send);
}

/** Reports when the page comes back to life (visible, restored from bfcache, back online) or goes offline. */
export const browserLifecycle = fromCallback<ChatEvent, { environment: BrowserEnvironment | null }>(
  ({ input, sendBack }) => {
    const env = input.environment;
    if (!env) return undefined;
    const onVisibility = () => {
      if (env.document.visibilityState === "visible") sendBack({ type: "WAKE", source: "visible" });
    };
    // Only a restore from the back/forward cache: the first load also fires pageshow (persisted false).
    const onPageShow = (event: Event) => {
      if ("persisted" in event && event.persisted === true) sendBack({ type: "WAKE", source: "pageshow" });
    };
    const onOnline = () => sendBack({ type: "WAKE", source: "online" });
    const onOffline = () => sendBack({ type: "NETWORK.OFFLINE" });
    env.document.addEventListener("visibilitychange", onVisibility);
    env.window.addEventListener("pageshow", onPageShow);
    env.window.addEventListener("online", onOnline);
    env.window.addEventListener("offline", onOffline);
    return () => {
      env.document.removeEventListener("visibilitychange", onVisibility);
      env.window.removeEventListener("pageshow", onPageShow);
      env.window.removeEventListener("online", onOnline);
      env.window.removeEventListener("offline", onOffline);
    };
  },
);

interface RequestInput {
  socket: ChatSocket;
  timeoutMs: number;
}

export const listSessions = fromPromise<Session[], RequestInput>(async ({ input, signal }) => {
  const requestId = crypto.randomUUID();
  const reply = await requestReply(input.socket, {
    event: "session:list",
    payload: { requestId },
    reply: "session:list",
    timeoutMs: input.timeoutMs,
    signal,
  });
  return reply.sessions;
});

export const createSession = fromPromise<
  Session,
  RequestInput & {
    model?: string;
    title?: string;
    permissionMode?: CreatablePermissionMode;
    cwd?: string;
    machineId?: string;
  }
>(async ({ input, signal }) => {
  const requestId = crypto.randomUUID();
  const reply = await requestReply(input.socket, {
    event: "session:create",
    payload: {
      requestId,
      ...(input.model ? { model: input.model } : {}),
      ...(input.title ? { title: input.title } : {}),
      ...(input.permissionMode ? { permissionMode: input.permissionMode } : {}),
      ...(input.cwd ? { cwd: input.cwd } : {}),
      ...onMachine(input.machineId),
    },
    reply: "session:created",
    timeoutMs: input.timeoutMs,
    signal,
  });
  const { requestId: _requestId, ...session } = reply;
  return session;
});

export const importSession = fromPromise<
  Session,
  RequestInput & { claudeSessionId: string; path: string; machineId?: string }
>(async ({ input, signal }) => {
  const requestId = crypto.randomUUID();
  const reply = await requestReply(input.socket, {
    event: "session:import",
    payload: {
      claudeSessionId: input.claudeSessionId,
      path: input.path,
      ...onMachine(input.machineId),
      requestId,
    },
    reply: "session:created",
    timeoutMs: Math.max(input.timeoutMs, IMPORT_TIMEOUT_MS),
    signal,
  });
  const { requestId: _requestId, ...session } = reply;
  return session;
});

export const subscribeSession = fromPromise<
  ServerPayload<"session:subscribed">,
  RequestInput & { sessionId: string; afterSeq: number | undefined }
>(({ input, signal }) => {
  const requestId = crypto.randomUUID();
  return requestReply(input.socket, {
    event: "session:subscribe",
    payload: {
      sessionId: input.sessionId,
      requestId,
      ...(input.afterSeq !== undefined ? { afterSeq: input.afterSeq } : {}),
    },
    reply: "session:subscribed",
    timeoutMs: input.timeoutMs,
    signal,
  });
});

export const loadHistory = fromPromise<
  ServerPayload<"session:history">,
  RequestInput & { sessionId: string; beforeSeq: number; limit: number }
>(({ input, signal }) => {
  const requestId = crypto.randomUUID();
  return requestReply(input.socket, {
    event: "session:history",
    payload: { sessionId: input.sessionId, beforeSeq: input.beforeSeq, limit: input.limit, requestId },
    reply: "session:history",
    timeoutMs: input.timeoutMs,
    signal,
  });
});

/** A slow uplink (50 KB/s) gets this long per byte of images on top of the usual wait. */
const UPLOAD_MS_PER_BYTE = 1 / 50;

export const sendChat = queueRequest<PendingSend>(({ socket, timeoutMs, item }, signal) => {
  const attachments = item.attachments?.map(({ name, mediaType, data }) => ({ name, mediaType, data }));
  const bytes = attachments?.reduce((sum, image) => sum + image.data.byteLength, 0) ?? 0;
  return requestReply(socket, {
    event: "chat:send",
    // The images' bytes go as Socket.IO binary attachments, not base64 text.
    payload: {
      message: item.message,
      sessionId: item.sessionId,
      requestId: item.requestId,
      ...(attachments?.length ? { attachments } : {}),
    },
    reply: "chat:queued",
    timeoutMs: timeoutMs + Math.ceil(bytes * UPLOAD_MS_PER_BYTE),
    signal,
  });
});

/** Settles once the target turn has ended (its chat:error, CANCELLED normally, or its response). */
export const cancelChat = queueRequest<CancelRequest>(({ socket, timeoutMs, item }, signal) => {
  const { sessionId, targetRequestId } = item;
  return socketRequest(socket, {
    event: "chat:cancel",
    payload: { sessionId, targetRequestId, requestId: crypto.randomUUID() },
    watch: (w) => {
      w.on("chat:error", (error) => (error.requestId === targetRequestId ? { ok: targetRequestId } : undefined));
      w.on("chat:response", (response) =>
        response.requestId === targetRequestId ? { ok: targetRequestId } : undefined,
      );
    },
    timeoutMs,
    signal,
  });
});

/** Settles when the server resolves the permission (`permission:resolved`, whoever answered), or on `permission:error`. */
export const respondPermission = queueRequest<PermissionAnswer>(({ socket, timeoutMs, item }, signal) => {
  const { sessionId, permissionId, decision, message, answers, scope } = item;
  return socketRequest(socket, {
    event: "permission:respond",
    payload: {
      sessionId,
      permissionId,
      decision,
      requestId: crypto.randomUUID(),
      ...(message ? { message } : {}),
      ...(answers ? { answers } : {}),
      ...(scope ? { scope } : {}),
    },
    watch: (w) =>
      w.on("permission:resolved", (resolved) =>
        resolved.permissionId === permissionId ? { ok: permissionId } : undefined,
      ),
    timeoutMs,
    signal,
  });
});

/** `session:update` → `session:updated`, or `session:delete` → `session:deleted`, matched by requestId. */
export const changeSession = queueRequest<SessionOp>(({ socket, timeoutMs, item: op }, signal) =>
  op.kind === "delete"
    ? requestReply(socket, {
        event: "session:delete",
        payload: { sessionId: op.sessionId, requestId: op.id },
        reply: "session:deleted",
        timeoutMs,
        signal,
      })
    : requestReply(socket, {
        event: "session:update",
        payload: { sessionId: op.sessionId, requestId: op.id, ...op.patch },
        reply: "session:updated",
        timeoutMs,
        signal,
      }),
);
