/**
 * The client's state machine: connection, sessions, the current session's
 * event log, sending, cancelling and history paging, all over typed Socket.IO
 * events from src/shared/messages.ts.
 *
 * Outside event sources are callback actors (the socket's listeners, the
 * browser's visibility/online events); every request is a promise actor that
 * emits one typed message and settles on the reply with the same requestId,
 * on its `*:error`, on a disconnect or on a timeout.
 *
 * Top-level states: connecting → connected ⇄ reconnecting / disconnected.
 * `connected` runs parallel regions: session (routing / subscribing / creating /
 * ready), outbox (idle / sending), history, sessionList and cancel.
 */
import { assign, fromCallback, fromPromise, sendTo, setup } from "xstate";
import { type ErrorCode, errorCodeMeaning, LIMITS } from "../../shared/constants.ts";
import type {
  PermissionDecision,
  PermissionMode,
  ServerEventName,
  ServerMessage,
  ServerPayload,
  Session,
  SessionEvent,
} from "../../shared/messages.ts";
import {
  type ClientError,
  DEFAULT_REQUEST_TIMEOUT_MS,
  RequestError,
  requestReply,
  socketRequest,
  toClientError,
} from "../connection/request.ts";
import { type ChatSocket, reconnectNow } from "../connection/socket.ts";
import { deriveTurns, mergeEvents, type PendingSend, type Turn } from "./turns.ts";

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** localStorage, or anything shaped like it. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Where the browser tells us the page came back (iOS Safari needs all three). */
export interface BrowserEnvironment {
  window: EventTarget;
  document: EventTarget & { readonly visibilityState: string };
  /** navigator.onLine at start. */
  online: boolean;
}

export interface ChatMachineInput {
  socket: ChatSocket;
  storage?: KeyValueStore | null;
  /** Defaults to the page's window/document when there is one. */
  environment?: BrowserEnvironment | null;
  /** How long a request waits for its reply (default 15 s). */
  requestTimeoutMs?: number;
  /** How long to wait before retrying after the server closed the connection itself (default 4 s). */
  retryDelayMs?: number;
  /** Events per "load earlier" page. */
  historyPageSize?: number;
}

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface ConnectionInfo {
  status: ConnectionStatus;
  /** The last connection error, cleared once connected. */
  error: string | null;
  /** The server's reason when it refused the connection (UNAUTHORIZED: not paired; RATE_LIMITED). */
  errorCode: ErrorCode | null;
  /** Failed connection attempts since the last success. */
  attempts: number;
  /** navigator.onLine as last reported. */
  online: boolean;
  serverVersion: string | null;
}

export interface CancelRequest {
  sessionId: string;
  targetRequestId: string;
}

/** The user's answer to a tool-permission request, on its way to the server. */
export interface PermissionAnswer {
  sessionId: string;
  permissionId: string;
  decision: PermissionDecision;
  /** Deny: the reason the agent is told. */
  message?: string;
  /** AskUserQuestion: question text → chosen label(s), comma-separated for multi-select. */
  answers?: Record<string, string>;
}

/** Where an answer stands, by permissionId (gone once the server confirmed it with `permission:resolved`). */
export type AnswerState =
  | { status: "sending"; decision: PermissionDecision }
  | { status: "failed"; decision: PermissionDecision; error: ClientError };

/** What `session:update` can change. */
export interface SessionPatch {
  title?: string;
  model?: string;
  permissionMode?: PermissionMode;
  /** Must be true with `bypassPermissions`: the user confirmed it. */
  confirmBypass?: boolean;
}

/** A change to a session (rename, settings, delete) waiting for its reply. */
export type SessionOp =
  | { kind: "update"; id: string; sessionId: string; patch: SessionPatch }
  | { kind: "delete"; id: string; sessionId: string };

/** Modes a new session may start in (skipping checks has to be turned on afterwards, with a confirmation). */
export type CreatablePermissionMode = Exclude<PermissionMode, "bypassPermissions">;

export interface ChatContext {
  socket: ChatSocket;
  storage: KeyValueStore | null;
  environment: BrowserEnvironment | null;
  timeoutMs: number;
  retryDelayMs: number;
  historyPageSize: number;

  connection: ConnectionInfo;
  /** Set when the socket was already connected when we attached (the `connection` greeting was missed). */
  needsSessionList: boolean;
  sessions: Session[];
  /** False until the server has sent the session list once: before that, no session is not "no sessions". */
  sessionsKnown: boolean;
  /** The session on screen (persisted as the last one used). */
  sessionId: string | null;
  /** The session whose room this socket has joined since it last connected. */
  subscribedSessionId: string | null;
  /** The current session's events, sorted and unique by seq. */
  events: readonly SessionEvent[];
  /** Highest seq held for the current session (0 when none). */
  lastSeq: number;
  /** Whether older events exist on the server ("Load earlier"). */
  hasEarlier: boolean;
  /** Messages not yet accepted by the server (or rejected by it), oldest first. */
  outbox: PendingSend[];
  cancels: CancelRequest[];
  /** Permission answers not sent yet, oldest first (the first is in flight while responding). */
  answerQueue: PermissionAnswer[];
  answers: Record<string, AnswerState>;
  /** Session changes not confirmed yet, oldest first (the first is in flight). */
  sessionOps: SessionOp[];
  /** The last session change the server refused (e.g. BYPASS_NOT_ALLOWED), for the settings sheet. */
  sessionOpError: { op: SessionOp; error: ClientError } | null;
  /** Problems that belong to one turn but do not end it (e.g. a failed Stop), by its requestId. */
  turnNotes: Record<string, ClientError>;
  /** A problem that belongs to no message (a failed subscribe, create, history load…). */
  notice: ClientError | null;
  /** Derived from events + outbox for the current session. */
  turns: Turn[];
}

export type ChatEvent =
  | { type: "SERVER"; message: ServerMessage }
  /** A subscription's replayed session events, applied in one step (see `socketEvents`). */
  | { type: "SERVER.REPLAY"; events: SessionEvent[] }
  | { type: "SOCKET.CONNECTED"; missedGreeting: boolean }
  | { type: "SOCKET.DISCONNECTED"; reason: string; willReconnect: boolean }
  | { type: "SOCKET.CONNECT_ERROR"; message: string; code: ErrorCode | null; willRetry: boolean }
  | { type: "WAKE"; source: "visible" | "pageshow" | "online" }
  | { type: "NETWORK.OFFLINE" }
  | { type: "RECONNECT" }
  | { type: "SEND"; message: string; requestId?: string }
  | { type: "RETRY"; requestId: string }
  | { type: "DISCARD"; requestId: string }
  | { type: "CANCEL"; targetRequestId: string }
  | { type: "SWITCH_SESSION"; sessionId: string }
  | { type: "NEW_SESSION"; model?: string; title?: string; permissionMode?: CreatablePermissionMode }
  | ({ type: "RESPOND_PERMISSION" } & Omit<PermissionAnswer, "sessionId">)
  | { type: "UPDATE_SESSION"; sessionId: string; patch: SessionPatch }
  | { type: "DELETE_SESSION"; sessionId: string }
  | { type: "DISMISS_SESSION_ERROR" }
  | { type: "RESUBSCRIBE" }
  | { type: "LOAD_EARLIER" }
  | { type: "REFRESH_SESSIONS" }
  | { type: "DISMISS_NOTICE" };

export const LAST_SESSION_KEY = "pocket-agent:last-session";

// ---------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------

function safeStorage(storage: KeyValueStore | null, run: (store: KeyValueStore) => void): void {
  if (!storage) return;
  try {
    run(storage);
  } catch {
    // Private browsing or quota: remembering the last session is best effort.
  }
}

function readLastSession(storage: KeyValueStore | null): string | null {
  try {
    return storage?.getItem(LAST_SESSION_KEY) ?? null;
  } catch {
    return null;
  }
}

function upsertSession(sessions: readonly Session[], session: Session): Session[] {
  const index = sessions.findIndex((existing) => existing.id === session.id);
  if (index === -1) return [session, ...sessions];
  const next = [...sessions];
  next[index] = session;
  return next;
}

function latestSession(sessions: readonly Session[]): Session | undefined {
  let best: Session | undefined;
  for (const session of sessions) if (!best || session.updatedAt > best.updatedAt) best = session;
  return best;
}

function turnsFor(events: readonly SessionEvent[], outbox: readonly PendingSend[], sessionId: string | null): Turn[] {
  return deriveTurns(
    events,
    outbox.filter((item) => item.sessionId === sessionId),
  );
}

function sendableItem(context: ChatContext): PendingSend | undefined {
  return context.outbox.find((item) => !item.error && item.sessionId === context.subscribedSessionId);
}

/** A session event as stored, or null for a `chat:error` that only rejected a request. */
function asSessionEvent(message: ServerMessage): SessionEvent | null {
  switch (message.type) {
    case "chat:queued":
    case "chat:started":
    case "chat:delta":
    case "log":
    case "chat:response":
    case "permission:request":
    case "permission:resolved":
      return message;
    case "chat:error": {
      const { sessionId, seq } = message.payload;
      if (sessionId === undefined || seq === undefined) return null;
      return { type: "chat:error", payload: { ...message.payload, sessionId, seq } };
    }
    default:
      return null;
  }
}

/** Stores session events of the current session, deduped by seq; a confirmed send leaves the outbox. */
function withSessionEvents(context: ChatContext, incoming: readonly SessionEvent[]): Partial<ChatContext> {
  const confirmed = new Set(incoming.filter((e) => e.type === "chat:queued").map((e) => e.payload.requestId));
  const outbox = confirmed.size ? context.outbox.filter((item) => !confirmed.has(item.requestId)) : context.outbox;
  const mine = incoming.filter((event) => event.payload.sessionId === context.sessionId);
  const events = mine.length ? mergeEvents(context.events, mine) : context.events;
  if (events === context.events && outbox === context.outbox) return {};
  const lastSeq = events[events.length - 1]?.payload.seq ?? 0;
  return { events, outbox, lastSeq, turns: turnsFor(events, outbox, context.sessionId) };
}

/** Applies one server event to the context. Exhaustive over every server event name. */
export function applyServerMessage(context: ChatContext, message: ServerMessage): Partial<ChatContext> {
  switch (message.type) {
    case "connection":
      return {
        sessions: message.payload.sessions,
        sessionsKnown: true,
        needsSessionList: false,
        connection: { ...context.connection, serverVersion: message.payload.serverVersion },
      };
    case "session:list":
      return { sessions: message.payload.sessions, sessionsKnown: true, needsSessionList: false };
    case "session:created": {
      const { requestId: _requestId, ...session } = message.payload;
      return { sessions: upsertSession(context.sessions, session) };
    }
    case "session:updated":
      return { sessions: upsertSession(context.sessions, message.payload.session) };
    case "session:deleted": {
      const gone = message.payload.sessionId;
      const sessions = context.sessions.filter((session) => session.id !== gone);
      // The open session was deleted (here or on another device): leave it; the latest one opens instead.
      return gone === context.sessionId ? { ...switchedTo(context, null), sessions } : { sessions };
    }
    case "session:subscribed":
    case "session:history":
    case "session:error":
    case "permission:error":
      // Replies to this client's own requests: the request actors settle them.
      return {};
    case "chat:queued":
    case "chat:started":
    case "chat:delta":
    case "log":
    case "chat:response":
    case "chat:error":
    case "permission:request":
    case "permission:resolved": {
      const event = asSessionEvent(message);
      // A chat:error without seq rejected a request; the request actor reports it.
      return event ? withSessionEvents(context, [event]) : {};
    }
    default: {
      const unreachable: never = message;
      throw new Error(`unhandled server event ${JSON.stringify(unreachable)}`);
    }
  }
}

// ---------------------------------------------------------------------------
// Actors
// ---------------------------------------------------------------------------

/** Builds the `{ type, payload }` message for each server event; a missing event name does not compile. */
const serverMessageBuilders: { [K in ServerEventName]: (payload: ServerPayload<K>) => ServerMessage } = {
  connection: (payload) => ({ type: "connection", payload }),
  "session:list": (payload) => ({ type: "session:list", payload }),
  "session:created": (payload) => ({ type: "session:created", payload }),
  "session:updated": (payload) => ({ type: "session:updated", payload }),
  "session:deleted": (payload) => ({ type: "session:deleted", payload }),
  "session:subscribed": (payload) => ({ type: "session:subscribed", payload }),
  "session:history": (payload) => ({ type: "session:history", payload }),
  "session:error": (payload) => ({ type: "session:error", payload }),
  "chat:queued": (payload) => ({ type: "chat:queued", payload }),
  "chat:started": (payload) => ({ type: "chat:started", payload }),
  "chat:delta": (payload) => ({ type: "chat:delta", payload }),
  log: (payload) => ({ type: "log", payload }),
  "chat:response": (payload) => ({ type: "chat:response", payload }),
  "chat:error": (payload) => ({ type: "chat:error", payload }),
  "permission:request": (payload) => ({ type: "permission:request", payload }),
  "permission:resolved": (payload) => ({ type: "permission:resolved", payload }),
  "permission:error": (payload) => ({ type: "permission:error", payload }),
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
const socketEvents = fromCallback<SocketEventsCommand, { socket: ChatSocket }>(({ input, sendBack, receive }) => {
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
  const onDisconnect = (reason: string) => send({ type: "SOCKET.DISCONNECTED", reason, willReconnect: socket.active });
  const onConnectError = (error: Error) =>
    send({ type: "SOCKET.CONNECT_ERROR", message: error.message, code: refusalCode(error), willRetry: socket.active });
  socket.on("connect", onConnect);
  socket.on("disconnect", onDisconnect);
  socket.on("connect_error", onConnectError);
  cleanups.push(
    () => socket.off("connect", onConnect),
    () => socket.off("disconnect", onDisconnect),
    () => socket.off("connect_error", onConnectError),
  );

  if (socket.connected) send({ type: "SOCKET.CONNECTED", missedGreeting: true });
  else socket.connect();

  return () => {
    for (const cleanup of cleanups) cleanup();
  };
});

function bindBuilder<K extends ServerEventName>(
  socket: ChatSocket,
  name: K,
  send: (event: ChatEvent) => void,
): () => void {
  const builders: { [N in ServerEventName]: (payload: ServerPayload<N>) => ServerMessage } = serverMessageBuilders;
  return forwardServerEvent(socket, name, builders[name], send);
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorCodeMeaning, value);
}

/** The code a server middleware put on a refused handshake (`connect_error` → `error.data.code`). */
export function refusalCode(error: Error): ErrorCode | null {
  const data: unknown = "data" in error ? error.data : undefined;
  const code = typeof data === "object" && data !== null && "code" in data ? data.code : undefined;
  return isErrorCode(code) ? code : null;
}

/** Reports when the page comes back to life (visible, restored from bfcache, back online) or goes offline. */
const browserLifecycle = fromCallback<ChatEvent, { environment: BrowserEnvironment | null }>(({ input, sendBack }) => {
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
});

interface RequestInput {
  socket: ChatSocket;
  timeoutMs: number;
}

const listSessions = fromPromise<Session[], RequestInput>(async ({ input, signal }) => {
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

const createSession = fromPromise<
  Session,
  RequestInput & { model?: string; title?: string; permissionMode?: CreatablePermissionMode }
>(async ({ input, signal }) => {
  const requestId = crypto.randomUUID();
  const reply = await requestReply(input.socket, {
    event: "session:create",
    payload: {
      requestId,
      ...(input.model ? { model: input.model } : {}),
      ...(input.title ? { title: input.title } : {}),
      ...(input.permissionMode ? { permissionMode: input.permissionMode } : {}),
    },
    reply: "session:created",
    timeoutMs: input.timeoutMs,
    signal,
  });
  const { requestId: _requestId, ...session } = reply;
  return session;
});

const subscribeSession = fromPromise<
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

const loadHistory = fromPromise<
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

const sendChat = fromPromise<ServerPayload<"chat:queued">, RequestInput & { item: PendingSend }>(
  ({ input, signal }) => {
    const { requestId, sessionId, message } = input.item;
    return requestReply(input.socket, {
      event: "chat:send",
      payload: { message, sessionId, requestId },
      reply: "chat:queued",
      timeoutMs: input.timeoutMs,
      signal,
    });
  },
);

/** Settles once the target turn has ended (its chat:error, CANCELLED normally, or its response). */
const cancelChat = fromPromise<string, RequestInput & { cancel: CancelRequest }>(({ input, signal }) => {
  const requestId = crypto.randomUUID();
  const { sessionId, targetRequestId } = input.cancel;
  return socketRequest(input.socket, {
    event: "chat:cancel",
    payload: { sessionId, targetRequestId, requestId },
    watch: (w) => {
      w.on("chat:error", (error) => (error.requestId === targetRequestId ? { ok: targetRequestId } : undefined));
      w.on("chat:response", (response) =>
        response.requestId === targetRequestId ? { ok: targetRequestId } : undefined,
      );
    },
    timeoutMs: input.timeoutMs,
    signal,
  });
});

/** Settles when the server resolves the permission (`permission:resolved`, whoever answered), or on `permission:error`. */
const respondPermission = fromPromise<string, RequestInput & { answer: PermissionAnswer }>(({ input, signal }) => {
  const { sessionId, permissionId, decision, message, answers } = input.answer;
  return socketRequest(input.socket, {
    event: "permission:respond",
    payload: {
      sessionId,
      permissionId,
      decision,
      requestId: crypto.randomUUID(),
      ...(message ? { message } : {}),
      ...(answers ? { answers } : {}),
    },
    watch: (w) =>
      w.on("permission:resolved", (resolved) =>
        resolved.permissionId === permissionId ? { ok: permissionId } : undefined,
      ),
    timeoutMs: input.timeoutMs,
    signal,
  });
});

/** `session:update` → `session:updated`, or `session:delete` → `session:deleted`, matched by requestId. */
const changeSession = fromPromise<SessionOp, RequestInput & { op: SessionOp }>(async ({ input, signal }) => {
  const { op } = input;
  if (op.kind === "delete") {
    await requestReply(input.socket, {
      event: "session:delete",
      payload: { sessionId: op.sessionId, requestId: op.id },
      reply: "session:deleted",
      timeoutMs: input.timeoutMs,
      signal,
    });
    return op;
  }
  await requestReply(input.socket, {
    event: "session:update",
    payload: { sessionId: op.sessionId, requestId: op.id, ...op.patch },
    reply: "session:updated",
    timeoutMs: input.timeoutMs,
    signal,
  });
  return op;
});

// ---------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------

function defaultEnvironment(): BrowserEnvironment | null {
  if (typeof window === "undefined" || typeof document === "undefined") return null;
  return { window, document, online: typeof navigator === "undefined" ? true : navigator.onLine };
}

function defaultStorage(): KeyValueStore | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

function initialContext(input: ChatMachineInput): ChatContext {
  const storage = input.storage === undefined ? defaultStorage() : input.storage;
  const environment = input.environment === undefined ? defaultEnvironment() : input.environment;
  return {
    socket: input.socket,
    storage,
    environment,
    timeoutMs: input.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    retryDelayMs: input.retryDelayMs ?? 4_000,
    historyPageSize: Math.min(input.historyPageSize ?? 200, LIMITS.historyPage),
    connection: {
      status: "connecting",
      error: null,
      errorCode: null,
      attempts: 0,
      online: environment?.online ?? true,
      serverVersion: null,
    },
    needsSessionList: false,
    sessions: [],
    sessionsKnown: false,
    sessionId: readLastSession(storage),
    subscribedSessionId: null,
    events: [],
    lastSeq: 0,
    hasEarlier: false,
    outbox: [],
    cancels: [],
    answerQueue: [],
    answers: {},
    sessionOps: [],
    sessionOpError: null,
    turnNotes: {},
    notice: null,
    turns: [],
  };
}

/** A fresh view of another session: its events are fetched by the subscribe that follows. */
function switchedTo(context: ChatContext, sessionId: string | null): Partial<ChatContext> {
  safeStorage(context.storage, (store) =>
    sessionId ? store.setItem(LAST_SESSION_KEY, sessionId) : store.removeItem(LAST_SESSION_KEY),
  );
  return {
    sessionId,
    subscribedSessionId: null,
    events: [],
    lastSeq: 0,
    hasEarlier: false,
    notice: null,
    turns: turnsFor([], context.outbox, sessionId),
  };
}

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
    subscribeSession,
    loadHistory,
    sendChat,
    cancelChat,
    respondPermission,
    changeSession,
  },
  delays: {
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
    shouldPickSession: ({ context }) => context.sessionId === null && context.sessions.length > 0,
    hasSendable: ({ context }) => sendableItem(context) !== undefined,
    hasCancel: ({ context }) => context.cancels.length > 0,
    hasAnswer: ({ context }) => context.answerQueue.length > 0,
    hasSessionOp: ({ context }) => context.sessionOps.length > 0,
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
    enqueueSend: assign(({ context, event }) => {
      if (event.type !== "SEND" || context.sessionId === null) return {};
      const message = event.message.trim();
      if (!message) return {};
      const item: PendingSend = {
        requestId: event.requestId ?? crypto.randomUUID(),
        sessionId: context.sessionId,
        message,
        at: new Date().toISOString(),
        error: null,
      };
      const outbox = [...context.outbox, item];
      return { outbox, turns: turnsFor(context.events, outbox, context.sessionId) };
    }),
    retrySend: assign(({ context, event }) => {
      if (event.type !== "RETRY") return {};
      const outbox = context.outbox.map((item) =>
        item.requestId === event.requestId ? { ...item, error: null } : item,
      );
      return { outbox, turns: turnsFor(context.events, outbox, context.sessionId) };
    }),
    discardSend: assign(({ context, event }) => {
      if (event.type !== "DISCARD") return {};
      const outbox = context.outbox.filter((item) => item.requestId !== event.requestId);
      return { outbox, turns: turnsFor(context.events, outbox, context.sessionId) };
    }),
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
    enqueueAnswer: assign(({ context, event }) => {
      if (event.type !== "RESPOND_PERMISSION" || context.sessionId === null) return {};
      const { type: _type, ...rest } = event;
      const current = context.answers[event.permissionId];
      if (current?.status === "sending") return {}; // one answer at a time per request
      const answer: PermissionAnswer = { ...rest, sessionId: context.sessionId };
      return {
        answerQueue: [...context.answerQueue, answer],
        answers: { ...context.answers, [event.permissionId]: { status: "sending", decision: event.decision } },
      };
    }),
    enqueueSessionOp: assign(({ context, event }) => {
      const id = crypto.randomUUID();
      let op: SessionOp;
      if (event.type === "UPDATE_SESSION") op = { kind: "update", id, sessionId: event.sessionId, patch: event.patch };
      else if (event.type === "DELETE_SESSION") op = { kind: "delete", id, sessionId: event.sessionId };
      else return {};
      return { sessionOps: [...context.sessionOps, op], sessionOpError: null };
    }),
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
  ],
  on: {
    SERVER: { actions: "receive" },
    "SERVER.REPLAY": { actions: "receiveReplay" },
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
          { guard: "willRetry", target: "reconnecting", actions: "noteConnectError" },
          { target: "disconnected", actions: "noteConnectError" },
        ],
        // The first attempt is under way: forcing another would only abort it.
        WAKE: { actions: "markOnline" },
        RECONNECT: { actions: "reconnectNow" },
        SWITCH_SESSION: { actions: "switchSession" },
      },
    },
    reconnecting: {
      entry: { type: "setStatus", params: { status: "reconnecting" } },
      on: {
        "SOCKET.CONNECTED": { target: "connected", actions: "markGreeting" },
        "SOCKET.CONNECT_ERROR": [
          { guard: "willRetry", actions: "noteConnectError" },
          { target: "disconnected", actions: "noteConnectError" },
        ],
        WAKE: { actions: ["markOnline", "reconnectNow"] },
        RECONNECT: { actions: "reconnectNow" },
        SWITCH_SESSION: { actions: "switchSession" },
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
        "SOCKET.CONNECT_ERROR": { actions: "noteConnectError" },
        WAKE: { target: "reconnecting", actions: ["markOnline", "reconnectNow"] },
        RECONNECT: { target: "reconnecting", actions: "reconnectNow" },
        SWITCH_SESSION: { actions: "switchSession" },
      },
    },
    connected: {
      type: "parallel",
      entry: { type: "setStatus", params: { status: "connected" } },
      states: {
        session: {
          initial: "routing",
          on: {
            SWITCH_SESSION: { guard: "isOtherSession", target: ".subscribing", actions: "switchSession" },
            NEW_SESSION: { target: ".creating" },
            RESUBSCRIBE: { guard: "hasSession", target: ".subscribing" },
          },
          states: {
            routing: {
              always: [{ guard: "hasSession", target: "subscribing" }, { target: "ready" }],
            },
            subscribing: {
              entry: sendTo("socketEvents", { type: "REPLAY.HOLD" }),
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
                  actions: assign(({ context, event }) => {
                    if (event.output.sessionId !== context.sessionId) return {};
                    // Replayed events arrived before this reply; older ones exist if the oldest held is past seq 1.
                    const earliest = context.events[0]?.payload.seq ?? event.output.fromSeq;
                    return { subscribedSessionId: event.output.sessionId, hasEarlier: earliest > 1 };
                  }),
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
                }),
                onDone: {
                  target: "subscribing",
                  actions: assign(({ context, event }) => ({
                    ...switchedTo(context, event.output.id),
                    sessions: upsertSession(context.sessions, event.output),
                  })),
                },
                onError: {
                  target: "ready",
                  actions: assign(({ event }) => ({ notice: toClientError(event.error) })),
                },
              },
            },
            ready: {
              always: { guard: "shouldPickSession", target: "subscribing", actions: "pickLatestSession" },
            },
          },
        },
        outbox: {
          initial: "idle",
          states: {
            idle: {
              always: { guard: "hasSendable", target: "sending" },
            },
            sending: {
              invoke: {
                src: "sendChat",
                input: ({ context }) => {
                  const item = sendableItem(context);
                  if (!item) throw new Error("sending without a message");
                  return { socket: context.socket, timeoutMs: context.timeoutMs, item };
                },
                onDone: {
                  target: "idle",
                  actions: assign(({ context, event }) => {
                    const outbox = context.outbox.filter((item) => item.requestId !== event.output.requestId);
                    return { outbox, turns: turnsFor(context.events, outbox, context.sessionId) };
                  }),
                },
                onError: {
                  target: "idle",
                  actions: assign(({ context, event }) => {
                    const error = toClientError(event.error);
                    // Lost connection: keep it; it is sent again (same requestId, idempotent) after resubscribing.
                    if (error.code === "DISCONNECTED" || error.code === "CANCELLED") return {};
                    const failedId = event.error instanceof RequestError ? event.error.requestId : "";
                    const outbox = context.outbox.map((item) =>
                      item.requestId === failedId ? { ...item, error } : item,
                    );
                    return { outbox, turns: turnsFor(context.events, outbox, context.sessionId) };
                  }),
                },
              },
            },
          },
        },
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
                  actions: assign(({ event }) => ({
                    sessions: event.output,
                    sessionsKnown: true,
                    needsSessionList: false,
                  })),
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
        permissions: {
          initial: "idle",
          states: {
            idle: {
              always: { guard: "hasAnswer", target: "responding" },
            },
            responding: {
              invoke: {
                src: "respondPermission",
                input: ({ context }) => {
                  const answer = context.answerQueue[0];
                  if (!answer) throw new Error("responding without an answer");
                  return { socket: context.socket, timeoutMs: context.timeoutMs, answer };
                },
                onDone: {
                  target: "idle",
                  actions: assign(({ context }) => {
                    const [done, ...rest] = context.answerQueue;
                    const answers = { ...context.answers };
                    if (done) delete answers[done.permissionId];
                    return { answerQueue: rest, answers };
                  }),
                },
                onError: {
                  target: "idle",
                  actions: assign(({ context, event }) => {
                    const [failed, ...rest] = context.answerQueue;
                    if (!failed) return { answerQueue: rest };
                    const error = toClientError(event.error);
                    return {
                      answerQueue: rest,
                      answers: {
                        ...context.answers,
                        [failed.permissionId]: { status: "failed", decision: failed.decision, error },
                      },
                    };
                  }),
                },
              },
            },
          },
        },
        sessionOps: {
          initial: "idle",
          states: {
            idle: {
              always: { guard: "hasSessionOp", target: "working" },
            },
            working: {
              invoke: {
                src: "changeSession",
                input: ({ context }) => {
                  const op = context.sessionOps[0];
                  if (!op) throw new Error("no session change to make");
                  return { socket: context.socket, timeoutMs: context.timeoutMs, op };
                },
                onDone: {
                  target: "idle",
                  actions: assign(({ context }) => ({ sessionOps: context.sessionOps.slice(1) })),
                },
                onError: {
                  target: "idle",
                  actions: assign(({ context, event }) => {
                    const [op, ...rest] = context.sessionOps;
                    const error = toClientError(event.error);
                    // Deleting what is already gone (e.g. sent again after a reconnect) is done, not failed.
                    if (op?.kind === "delete" && error.code === "SESSION_NOT_FOUND") {
                      return { sessionOps: rest, sessions: context.sessions.filter((s) => s.id !== op.sessionId) };
                    }
                    return { sessionOps: rest, sessionOpError: op ? { op, error } : context.sessionOpError };
                  }),
                },
              },
            },
          },
        },
        cancel: {
          initial: "idle",
          on: {
            CANCEL: {
              actions: assign(({ context, event }) => {
                const sessionId = context.sessionId;
                if (!sessionId) return {};
                const target = event.targetRequestId;
                // Not sent yet: just drop it here.
                if (context.outbox.some((item) => item.requestId === target)) {
                  const outbox = context.outbox.filter((item) => item.requestId !== target);
                  return { outbox, turns: turnsFor(context.events, outbox, context.sessionId) };
                }
                if (context.cancels.some((cancel) => cancel.targetRequestId === target)) return {};
                return { cancels: [...context.cancels, { sessionId, targetRequestId: target }] };
              }),
            },
          },
          states: {
            idle: {
              always: { guard: "hasCancel", target: "cancelling" },
            },
            cancelling: {
              invoke: {
                src: "cancelChat",
                input: ({ context }) => {
                  const cancel = context.cancels[0];
                  if (!cancel) throw new Error("cancelling without a target");
                  return { socket: context.socket, timeoutMs: context.timeoutMs, cancel };
                },
                onDone: {
                  target: "idle",
                  actions: assign(({ context }) => ({ cancels: context.cancels.slice(1) })),
                },
                onError: {
                  target: "idle",
                  actions: assign(({ context, event }) => {
                    const error = toClientError(event.error);
                    const target = context.cancels[0]?.targetRequestId;
                    return {
                      cancels: context.cancels.slice(1),
                      turnNotes:
                        target && error.code !== "CANCELLED"
                          ? { ...context.turnNotes, [target]: error }
                          : context.turnNotes,
                    };
                  }),
                },
              },
            },
          },
        },
      },
    },
  },
});

export type ChatMachine = typeof chatMachine;

/** A short human label for the connection, used by the top bar and the sessions sheet. */
export function describeConnection(connection: ConnectionInfo): string {
  if (!connection.online) return "You're offline";
  if (connection.status !== "connected" && connection.errorCode === "UNAUTHORIZED") return "Not paired";
  switch (connection.status) {
    case "connected":
      return "Connected";
    case "connecting":
      return "Connecting…";
    case "reconnecting":
      return connection.attempts > 0 ? "Can't reach the server. Retrying…" : "Reconnecting…";
    case "disconnected":
      return "Disconnected from the server";
    default: {
      const unreachable: never = connection.status;
      return unreachable;
    }
  }
}
