/**
 * The chat machine: connection, sessions, the current session's event log, sending, cancelling
 * and history paging, over the typed Socket.IO events of src/shared/messages.ts. Its types are in
 * types.ts, its pure logic in reducers.ts, its actors in actors.ts.
 *
 * Top-level states: connecting → connected ⇄ reconnecting / disconnected. `connected` runs
 * parallel regions: session (routing / subscribing / creating / ready), history, sessionList, and
 * four serial queues (serialQueue.ts): outbox, permissions, sessionOps and cancel.
 */
import { assign, enqueueActions, sendTo, setup } from "xstate";
import type { Session } from "../../shared/messages.ts";
import { toClientError } from "../connection/request.ts";
import { reconnectNow } from "../connection/socket.ts";
import type { ConnectionStatus } from "../connection/status.ts";
import { savedConversations } from "../offline/savedConversationsActor.ts";
import {
  browserLifecycle,
  cancelChat,
  changeSession,
  createSession,
  importSession,
  listSessions,
  loadHistory,
  respondPermission,
  sendChat,
  socketEvents,
  subscribeSession,
} from "./actors.ts";
import {
  applyServerMessage,
  cancelQueue,
  dropSend,
  enqueueAnswer,
  enqueueCancel,
  enqueueSend,
  enqueueSessionOp,
  initialContext,
  latestSession,
  outboxQueue,
  permissionQueue,
  restoreSaved,
  retrySend,
  sessionOpQueue,
  switchedTo,
  upsertSession,
  withSessionEvents,
} from "./reducers.ts";
import { serialQueue } from "./serialQueue.ts";
import type { ChatContext, ChatEvent, ChatMachineInput } from "./types.ts";

export const chatMachine = setup({
  types: {
    context: {} as ChatContext,
    events: {} as ChatEvent,
    input: {} as ChatMachineInput,
  },
  actors: {
    socketEvents,
    browserLifecycle,
    listSessions,
    createSession,
    importSession,
    subscribeSession,
    loadHistory,
    sendChat,
    cancelChat,
    respondPermission,
    changeSession,
    savedConversations,
  },
  delays: {
    restoreWait: ({ context }) => context.restoreWaitMs,
    // Refused for too many attempts: wait the minute the server asks for.
    retryDelay: ({ context }) => (context.connection.errorCode === "RATE_LIMITED" ? 60_000 : context.retryDelayMs),
  },
  guards: {
    willReconnect: ({ event }) => event.type === "SOCKET.DISCONNECTED" && event.willReconnect,
    willRetry: ({ event }) => event.type === "SOCKET.CONNECT_ERROR" && event.willRetry,
    socketActive: ({ context }) => context.socket.active,
    /** Not paired: retrying on a timer cannot help (and would trip the server's throttle). */
    notPaired: ({ context }) => context.connection.errorCode === "UNAUTHORIZED",
    hasSession: ({ context }) => context.sessionId !== null,
    /** The device's saved copy of this session is still being looked for. */
    awaitingSaved: ({ context }) => context.sessionId !== null && context.restoredFor !== context.sessionId,
    isCurrentRestore: ({ context, event }) => event.type === "RESTORE" && event.sessionId === context.sessionId,
    shouldPickSession: ({ context }) => context.sessionId === null && context.sessions.length > 0,
    needsSessionList: ({ context }) => context.needsSessionList,
    canLoadEarlier: ({ context }) =>
      context.hasEarlier && context.sessionId !== null && context.subscribedSessionId === context.sessionId,
    isOtherSession: ({ context, event }) => event.type === "SWITCH_SESSION" && event.sessionId !== context.sessionId,
  },
  actions: {
    receive: assign(({ context, event }) =>
      event.type === "SERVER" ? applyServerMessage(context, event.message) : {},
    ),
    receiveReplay: assign(({ context, event }) =>
      event.type === "SERVER.REPLAY" ? withSessionEvents(context, event.events) : {},
    ),
    restoreSaved: assign(({ context, event }) => (event.type === "RESTORE" ? restoreSaved(context, event) : {})),
    /** Asks for the saved copy of the session just switched to (answered with RESTORE). */
    lookupSaved: enqueueActions(({ context, enqueue }) => {
      if (context.savedConversations && context.sessionId && context.restoredFor !== context.sessionId) {
        enqueue.sendTo("saved", { type: "LOOKUP", sessionId: context.sessionId });
      }
    }),
    /** Hands what the server confirmed to the saved copy (written a moment later, see the actor). */
    persist: enqueueActions(({ context, enqueue }) => {
      if (!context.savedConversations) return;
      const confirmed = context.sessionId !== null && context.subscribedSessionId === context.sessionId;
      enqueue.sendTo("saved", {
        type: "SAVE",
        conversation:
          confirmed && context.sessionId
            ? { sessionId: context.sessionId, events: context.events, hasEarlier: context.hasEarlier }
            : null,
        sessions: context.sessionsKnown ? context.sessions : null,
      });
    }),
    /** The server refused this device: what it saved of the server's conversations goes too. */
    clearSavedIfRefused: enqueueActions(({ context, event, enqueue }) => {
      if (context.savedConversations && event.type === "SOCKET.CONNECT_ERROR" && event.code === "UNAUTHORIZED") {
        enqueue.sendTo("saved", { type: "CLEAR" });
      }
    }),
    reconnectNow: ({ context }) => reconnectNow(context.socket),
    /** The socket looks connected but did not answer: drop it and connect again. */
    forceReconnect: ({ context }) => {
      context.socket.disconnect();
      context.socket.connect();
    },
    markOnline: assign(({ context, event }) =>
      event.type === "WAKE" && event.source === "online" ? { connection: { ...context.connection, online: true } } : {},
    ),
    markOffline: assign(({ context }) => ({ connection: { ...context.connection, online: false } })),
    noteConnectError: assign(({ context, event }) =>
      event.type === "SOCKET.CONNECT_ERROR"
        ? {
            connection: {
              ...context.connection,
              error: event.message,
              errorCode: event.code,
              attempts: context.connection.attempts + 1,
            },
          }
        : {},
    ),
    noteDisconnect: assign(({ context, event }) => ({
      subscribedSessionId: null,
      connection:
        event.type === "SOCKET.DISCONNECTED" ? { ...context.connection, error: event.reason } : context.connection,
    })),
    markGreeting: assign(({ event }) =>
      event.type === "SOCKET.CONNECTED" ? { needsSessionList: event.missedGreeting } : {},
    ),
    enqueueSend: assign(({ context, event }) => (event.type === "SEND" ? enqueueSend(context, event) : {})),
    retrySend: assign(({ context, event }) => (event.type === "RETRY" ? retrySend(context, event.requestId) : {})),
    discardSend: assign(({ context, event }) => (event.type === "DISCARD" ? dropSend(context, event.requestId) : {})),
    /**
     * The server keeps a socket in every session it subscribed to (decision 021): stop watching the
     * one on screen before moving on, or its stream keeps coming. Sent in order after its subscribe,
     * so it also ends a subscribe still in flight. The reply changes nothing here.
     */
    leaveSession: ({ context, event }) => {
      if (event.type === "SWITCH_SESSION") leave(context, event.sessionId);
    },
    switchSession: assign(({ context, event }) =>
      event.type === "SWITCH_SESSION" && event.sessionId !== context.sessionId
        ? switchedTo(context, event.sessionId)
        : {},
    ),
    /** Automatic choice: keeps the notice that may explain it (e.g. the last session is gone). */
    pickLatestSession: assign(({ context }) => ({
      ...switchedTo(context, latestSession(context.sessions)?.id ?? null),
      notice: context.notice,
    })),
    dismissNotice: assign({ notice: null }),
    /** A session the server just created or imported: it watches it now, so the one on screen is left. */
    openNewSession: enqueueActions(({ context, event, enqueue }) => {
      if (!("output" in event)) return;
      const session = event.output as Session;
      leave(context, session.id);
      enqueue.assign({
        ...(session.id === context.sessionId ? {} : switchedTo(context, session.id)),
        sessions: upsertSession(context.sessions, session),
      });
    }),
    enqueueAnswer: assign(({ context, event }) =>
      event.type === "RESPOND_PERMISSION" ? enqueueAnswer(context, event) : {},
    ),
    enqueueSessionOp: assign(({ context, event }) =>
      event.type === "UPDATE_SESSION" || event.type === "DELETE_SESSION" ? enqueueSessionOp(context, event) : {},
    ),
    enqueueCancel: assign(({ context, event }) =>
      event.type === "CANCEL" ? enqueueCancel(context, event.targetRequestId) : {},
    ),
    setStatus: assign(({ context }, params: { status: ConnectionStatus }) => ({
      connection: {
        ...context.connection,
        status: params.status,
        ...(params.status === "connected" ? { error: null, errorCode: null, attempts: 0 } : {}),
      },
    })),
  },
}).createMachine({
  id: "chat",
  context: ({ input }) => initialContext(input),
  invoke: [
    { id: "socketEvents", src: "socketEvents", input: ({ context }) => ({ socket: context.socket }) },
    { id: "browser", src: "browserLifecycle", input: ({ context }) => ({ environment: context.environment }) },
    {
      id: "saved",
      src: "savedConversations",
      input: ({ context }) => ({
        cache: context.savedConversations,
        sessionId: context.sessionId,
        environment: context.environment,
        saveDelayMs: context.saveDelayMs,
      }),
    },
  ],
  on: {
    SERVER: { actions: ["receive", "persist"] },
    "SERVER.REPLAY": { actions: ["receiveReplay", "persist"] },
    RESTORE: { actions: "restoreSaved" },
    "SOCKET.DISCONNECTED": [
      { guard: "willReconnect", target: ".reconnecting", actions: "noteDisconnect" },
      { target: ".disconnected", actions: "noteDisconnect" },
    ],
    "NETWORK.OFFLINE": { actions: "markOffline" },
    SEND: { actions: "enqueueSend" },
    RETRY: { actions: "retrySend" },
    DISCARD: { actions: "discardSend" },
    DISMISS_NOTICE: { actions: "dismissNotice" },
    RESPOND_PERMISSION: { actions: "enqueueAnswer" },
    UPDATE_SESSION: { actions: "enqueueSessionOp" },
    DELETE_SESSION: { actions: "enqueueSessionOp" },
    DISMISS_SESSION_ERROR: { actions: assign({ sessionOpError: null }) },
  },
  initial: "connecting",
  states: {
    connecting: {
      entry: { type: "setStatus", params: { status: "connecting" } },
      on: {
        "SOCKET.CONNECTED": { target: "connected", actions: "markGreeting" },
        "SOCKET.CONNECT_ERROR": [
          { guard: "willRetry", target: "reconnecting", actions: ["noteConnectError", "clearSavedIfRefused"] },
          { target: "disconnected", actions: ["noteConnectError", "clearSavedIfRefused"] },
        ],
        // The first attempt is under way: forcing another would only abort it.
        WAKE: { actions: "markOnline" },
        RECONNECT: { actions: "reconnectNow" },
        SWITCH_SESSION: { actions: ["switchSession", "lookupSaved"] },
      },
    },
    reconnecting: {
      entry: { type: "setStatus", params: { status: "reconnecting" } },
      on: {
        "SOCKET.CONNECTED": { target: "connected", actions: "markGreeting" },
        "SOCKET.CONNECT_ERROR": [
          { guard: "willRetry", actions: ["noteConnectError", "clearSavedIfRefused"] },
          { target: "disconnected", actions: ["noteConnectError", "clearSavedIfRefused"] },
        ],
        WAKE: { actions: ["markOnline", "reconnectNow"] },
        RECONNECT: { actions: "reconnectNow" },
        SWITCH_SESSION: { actions: ["switchSession", "lookupSaved"] },
      },
    },
    disconnected: {
      entry: { type: "setStatus", params: { status: "disconnected" } },
      after: {
        retryDelay: [
          { guard: "notPaired" },
          { guard: "socketActive", target: "reconnecting" },
          { target: "reconnecting", actions: "reconnectNow" },
        ],
      },
      on: {
        "SOCKET.CONNECTED": { target: "connected", actions: "markGreeting" },
        "SOCKET.CONNECT_ERROR": { actions: ["noteConnectError", "clearSavedIfRefused"] },
        WAKE: { target: "reconnecting", actions: ["markOnline", "reconnectNow"] },
        RECONNECT: { target: "reconnecting", actions: "reconnectNow" },
        SWITCH_SESSION: { actions: ["switchSession", "lookupSaved"] },
      },
    },
    connected: {
      type: "parallel",
      entry: { type: "setStatus", params: { status: "connected" } },
      states: {
        session: {
          initial: "routing",
          on: {
            SWITCH_SESSION: {
              guard: "isOtherSession",
              target: ".routing",
              actions: ["leaveSession", "switchSession", "lookupSaved"],
            },
            NEW_SESSION: { target: ".creating" },
            IMPORT_SESSION: { target: ".importing" },
            RESUBSCRIBE: { guard: "hasSession", target: ".subscribing" },
          },
          states: {
            routing: {
              always: [
                { guard: "awaitingSaved", target: "restoring" },
                { guard: "hasSession", target: "subscribing" },
                { target: "ready" },
              ],
            },
            /**
             * The saved copy first (decision 023): subscribing after it asks only for what came
             * since (`afterSeq`). A device that is slow to read it subscribes without it.
             */
            restoring: {
              on: { RESTORE: { guard: "isCurrentRestore", target: "subscribing", actions: "restoreSaved" } },
              after: { restoreWait: { target: "subscribing" } },
            },
            subscribing: {
              entry: [
                sendTo("socketEvents", { type: "REPLAY.HOLD" }),
                // From here on a saved copy is too late: the server's answer may already be on its way.
                assign(({ context }) => ({ restoredFor: context.sessionId })),
              ],
              exit: sendTo("socketEvents", { type: "REPLAY.RELEASE" }),
              invoke: {
                src: "subscribeSession",
                input: ({ context }) => ({
                  socket: context.socket,
                  timeoutMs: context.timeoutMs,
                  sessionId: context.sessionId ?? "",
                  afterSeq: context.lastSeq > 0 ? context.lastSeq : undefined,
                }),
                onDone: {
                  target: "ready",
                  actions: [
                    assign(({ context, event }) => {
                      if (event.output.sessionId !== context.sessionId) return {};
                      // Replayed events arrived before this reply; older ones exist if the oldest held is past seq 1.
                      const earliest = context.events[0]?.payload.seq ?? event.output.fromSeq;
                      return {
                        subscribedSessionId: event.output.sessionId,
                        hasEarlier: earliest > 1,
                        showingSaved: false,
                      };
                    }),
                    "persist",
                  ],
                },
                onError: {
                  target: "ready",
                  actions: assign(({ context, event }) => {
                    const error = toClientError(event.error);
                    if (error.code === "CANCELLED") return {};
                    if (error.code === "SESSION_NOT_FOUND") {
                      const gone = context.sessionId;
                      return {
                        ...switchedTo(context, null),
                        sessions: context.sessions.filter((session) => session.id !== gone),
                        notice: error,
                      };
                    }
                    return { notice: error };
                  }),
                },
              },
            },
            creating: {
              invoke: {
                src: "createSession",
                input: ({ context, event }) => ({
                  socket: context.socket,
                  timeoutMs: context.timeoutMs,
                  ...(event.type === "NEW_SESSION" && event.model ? { model: event.model } : {}),
                  ...(event.type === "NEW_SESSION" && event.title ? { title: event.title } : {}),
                  ...(event.type === "NEW_SESSION" && event.permissionMode
                    ? { permissionMode: event.permissionMode }
                    : {}),
                  ...(event.type === "NEW_SESSION" && event.cwd ? { cwd: event.cwd } : {}),
                  ...(event.type === "NEW_SESSION" && event.machineId ? { machineId: event.machineId } : {}),
                }),
                onDone: { target: "subscribing", actions: "openNewSession" },
                onError: {
                  target: "ready",
                  actions: assign(({ event }) => ({ notice: toClientError(event.error) })),
                },
              },
            },
            importing: {
              invoke: {
                src: "importSession",
                input: ({ context, event }) => ({
                  socket: context.socket,
                  timeoutMs: context.timeoutMs,
                  claudeSessionId: event.type === "IMPORT_SESSION" ? event.claudeSessionId : "",
                  path: event.type === "IMPORT_SESSION" ? event.path : "",
                  ...(event.type === "IMPORT_SESSION" && event.machineId ? { machineId: event.machineId } : {}),
                }),
                // The session that continues it, new or (imported before) already known.
                onDone: { target: "subscribing", actions: "openNewSession" },
                onError: {
                  target: "ready",
                  actions: assign(({ event }) => ({ notice: toClientError(event.error) })),
                },
              },
            },
            ready: {
              always: { guard: "shouldPickSession", target: "routing", actions: ["pickLatestSession", "lookupSaved"] },
            },
          },
        },
        outbox: serialQueue("sendChat", outboxQueue),
        history: {
          initial: "idle",
          on: {
            SWITCH_SESSION: { target: ".idle" },
            NEW_SESSION: { target: ".idle" },
          },
          states: {
            idle: {
              on: { LOAD_EARLIER: { guard: "canLoadEarlier", target: "loading" } },
            },
            loading: {
              invoke: {
                src: "loadHistory",
                input: ({ context }) => ({
                  socket: context.socket,
                  timeoutMs: context.timeoutMs,
                  sessionId: context.sessionId ?? "",
                  beforeSeq: context.events[0]?.payload.seq ?? context.lastSeq + 1,
                  limit: context.historyPageSize,
                }),
                onDone: {
                  target: "idle",
                  actions: assign(({ context, event }) => {
                    if (event.output.sessionId !== context.sessionId) return {};
                    const merged = withSessionEvents(context, event.output.events);
                    const events = merged.events ?? context.events;
                    return {
                      ...merged,
                      hasEarlier:
                        event.output.hasMore && event.output.events.length > 0 && (events[0]?.payload.seq ?? 0) > 1,
                    };
                  }),
                },
                onError: {
                  target: "idle",
                  actions: assign(({ event }) => {
                    const error = toClientError(event.error);
                    return error.code === "CANCELLED" ? {} : { notice: error };
                  }),
                },
              },
            },
          },
        },
        sessionList: {
          initial: "check",
          states: {
            check: {
              always: [{ guard: "needsSessionList", target: "loading" }, { target: "idle" }],
            },
            idle: {
              on: {
                REFRESH_SESSIONS: { target: "loading" },
                // Back from the background: the socket may look connected but be dead. Probe it.
                WAKE: { target: "loading", actions: "markOnline" },
              },
            },
            loading: {
              on: { WAKE: { actions: "markOnline" } },
              invoke: {
                src: "listSessions",
                input: ({ context }) => ({ socket: context.socket, timeoutMs: context.timeoutMs }),
                onDone: {
                  target: "idle",
                  actions: [
                    assign(({ event }) => ({
                      sessions: event.output,
                      sessionsKnown: true,
                      needsSessionList: false,
                    })),
                    "persist",
                  ],
                },
                onError: [
                  {
                    guard: ({ event }) => toClientError(event.error).code === "TIMEOUT",
                    target: "idle",
                    actions: "forceReconnect",
                  },
                  { target: "idle" },
                ],
              },
            },
          },
        },
        permissions: serialQueue("respondPermission", permissionQueue),
        sessionOps: serialQueue("changeSession", sessionOpQueue),
        cancel: {
          ...serialQueue("cancelChat", cancelQueue),
          on: { CANCEL: { actions: "enqueueCancel" } },
        },
      },
    },
  },
});

export type ChatMachine = typeof chatMachine;

/** Stops watching the session on screen when the app moves to `next` (see `leaveSession`). */
function leave(context: ChatContext, next: string): void {
  if (!context.sessionId || context.sessionId === next) return;
  context.socket.emit("session:unsubscribe", { sessionId: context.sessionId, requestId: crypto.randomUUID() });
}
