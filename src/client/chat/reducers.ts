/**
 * The chat machine's pure logic: its initial context, how server events and the user's actions
 * change it, and what each serial queue does with an answer or a failure. No XState here: every
 * function takes the context (and an event) and returns the fields that change.
 */
import { LIMITS } from "../../shared/constants.ts";
import type { Machine, ServerMessage, Session, SessionEvent } from "../../shared/messages.ts";
import { checkedSocket } from "../connection/checkedSocket.ts";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "../connection/request.ts";
import type { RestoreEvent } from "../offline/savedConversationsActor.ts";
import { forgetMachineProjects, forgetUnlinkedMachines } from "../projects/recent.ts";
import type { SerialQueue } from "./serialQueue.ts";
import { appendToTurns, deriveTurns, mergeEvents, type PendingSend, type Turn } from "./turns.ts";
import type {
  BrowserEnvironment,
  CancelRequest,
  ChatContext,
  ChatEvent,
  ChatMachineInput,
  KeyValueStore,
  PermissionAnswer,
  SessionOp,
} from "./types.ts";

export const LAST_SESSION_KEY = "pocket-agent:last-session";
/** Messages written but not accepted by the server yet: they survive a reload and go out on reconnect. */
export const OUTBOX_KEY = "pocket-agent:outbox";
const MAX_SAVED_OUTBOX = 50;

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

export function upsertSession(sessions: readonly Session[], session: Session): Session[] {
  const index = sessions.findIndex((existing) => existing.id === session.id);
  if (index === -1) return [session, ...sessions];
  const next = [...sessions];
  next[index] = session;
  return next;
}

export function latestSession(sessions: readonly Session[]): Session | undefined {
  let best: Session | undefined;
  for (const session of sessions) if (!best || session.updatedAt > best.updatedAt) best = session;
  return best;
}

function isPendingSend(value: unknown): value is PendingSend {
  if (typeof value !== "object" || value === null) return false;
  const item = value as Record<string, unknown>;
  return (
    typeof item.requestId === "string" &&
    typeof item.sessionId === "string" &&
    typeof item.message === "string" &&
    item.message.length <= LIMITS.messageChars &&
    typeof item.at === "string"
  );
}

function readOutbox(storage: KeyValueStore | null): PendingSend[] {
  try {
    const value: unknown = JSON.parse(storage?.getItem(OUTBOX_KEY) ?? "[]");
    if (!Array.isArray(value)) return [];
    return value.filter(isPendingSend).map(({ requestId, sessionId, message, at }) => ({
      requestId,
      sessionId,
      message,
      at,
      error: null,
    }));
  } catch {
    return [];
  }
}

/**
 * Keeps what is still to be sent (a message the server refused stays on screen, not across a reload).
 * A message with images is not kept: up to 25 MB does not fit in localStorage, and sending its text
 * without the images would change what it asks (decision 050).
 */
function saveOutbox(storage: KeyValueStore | null, outbox: readonly PendingSend[]): void {
  const waiting = outbox
    .filter((item) => item.error === null && !item.attachments?.length)
    .slice(-MAX_SAVED_OUTBOX)
    .map(({ requestId, sessionId, message, at }) => ({ requestId, sessionId, message, at }));
  safeStorage(storage, (store) =>
    waiting.length ? store.setItem(OUTBOX_KEY, JSON.stringify(waiting)) : store.removeItem(OUTBOX_KEY),
  );
}

function pendingFor(outbox: readonly PendingSend[], sessionId: string | null): PendingSend[] {
  return outbox.filter((item) => item.sessionId === sessionId);
}

export function turnsFor(
  events: readonly SessionEvent[],
  outbox: readonly PendingSend[],
  sessionId: string | null,
): Turn[] {
  return deriveTurns(events, pendingFor(outbox, sessionId));
}

export function sendableItem(context: ChatContext): PendingSend | undefined {
  return context.outbox.find((item) => !item.error && item.sessionId === context.subscribedSessionId);
}

/** A session event as stored, or null for a `chat:error` that only rejected a request. */
export function asSessionEvent(message: ServerMessage): SessionEvent | null {
  switch (message.type) {
    case "chat:queued":
    case "chat:started":
    case "chat:delta":
    case "log":
    case "chat:response":
    case "chat:notice":
    case "permission:request":
    case "permission:resolved":
    case "turn:changes":
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
export function withSessionEvents(context: ChatContext, incoming: readonly SessionEvent[]): Partial<ChatContext> {
  const confirmed = new Set(incoming.filter((e) => e.type === "chat:queued").map((e) => e.payload.requestId));
  const outbox = confirmed.size ? context.outbox.filter((item) => !confirmed.has(item.requestId)) : context.outbox;
  const mine = incoming.filter((event) => event.payload.sessionId === context.sessionId);
  const events = mine.length ? mergeEvents(context.events, mine) : context.events;
  if (events === context.events && outbox === context.outbox) return {};
  if (outbox !== context.outbox) saveOutbox(context.storage, outbox);
  const lastSeq = events[events.length - 1]?.payload.seq ?? 0;
  // Live events only add to the end: change the turns they belong to, not every turn.
  const appendedOnly =
    outbox === context.outbox &&
    events.length === context.events.length + mine.length &&
    mine.every((event) => event.payload.seq > context.lastSeq);
  const turns = appendedOnly
    ? appendToTurns(context.turns, events.slice(context.events.length), pendingFor(outbox, context.sessionId))
    : turnsFor(events, outbox, context.sessionId);
  return { events, outbox, lastSeq, turns };
}

function upsertMachine(machines: readonly Machine[], machine: Machine): Machine[] {
  const index = machines.findIndex((m) => m.id === machine.id);
  if (index === -1) return [...machines, machine];
  return machines.map((m, i) => (i === index ? machine : m));
}

/** Applies one server event to the context. Exhaustive over every server event name. */
export function applyServerMessage(context: ChatContext, message: ServerMessage): Partial<ChatContext> {
  switch (message.type) {
    case "connection":
      // The server's list is every linked machine: what this device remembers of others goes.
      if (message.payload.machines)
        forgetUnlinkedMachines(
          message.payload.machines.map((machine) => machine.id),
          context.storage,
        );
      return {
        sessions: message.payload.sessions,
        machines: message.payload.machines ?? [],
        sessionsKnown: true,
        needsSessionList: false,
        connection: {
          ...context.connection,
          serverVersion: message.payload.serverVersion,
          vapidPublicKey: message.payload.push.vapidPublicKey,
        },
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
    case "machine:added":
    case "machine:updated":
      return { machines: upsertMachine(context.machines, message.payload.machine) };
    case "machine:removed":
      forgetMachineProjects(message.payload.machineId, context.storage);
      return { machines: context.machines.filter((machine) => machine.id !== message.payload.machineId) };
    case "machine:list":
      return { machines: message.payload.machines };
    case "machine:pong":
    case "machine:error":
      return {};
    case "session:subscribed":
    case "session:found":
    case "session:history":
    case "session:error":
    case "permission:error":
    case "project:list":
    case "project:sessions":
    case "project:error":
    case "session:unsubscribed":
    case "push:subscribed":
    case "push:unsubscribed":
    case "push:tested":
    case "push:error":
    case "commands:result":
    case "commands:error":
    case "permission:rules":
    case "permission:revoked":
    case "changes:result":
    case "changes:error":
    case "file:content":
    case "file:error":
      // Replies to this client's own requests: the request actors settle them.
      return {};
    case "chat:queued":
    case "chat:started":
    case "chat:delta":
    case "log":
    case "chat:response":
    case "chat:error":
    case "chat:notice":
    case "permission:request":
    case "permission:resolved":
    case "turn:changes": {
      const event = asSessionEvent(message);
      // A chat:error without seq rejected a request; the request actor reports it.
      return event ? withSessionEvents(context, [event]) : {};
    }
    default:
      // Exhaustive at compile time; at run time an unknown message changes nothing (never throws).
      message satisfies never;
      return {};
  }
}

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

export function initialContext(input: ChatMachineInput): ChatContext {
  const storage = input.storage === undefined ? defaultStorage() : input.storage;
  const opened = input.initialSessionId;
  // Opened from a notification: that session is now the last one used.
  if (opened) safeStorage(storage, (store) => store.setItem(LAST_SESSION_KEY, opened));
  const environment = input.environment === undefined ? defaultEnvironment() : input.environment;
  const sessionId = opened ?? readLastSession(storage);
  const outbox = readOutbox(storage);
  return {
    socket: checkedSocket(input.socket),
    storage,
    environment,
    timeoutMs: input.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    retryDelayMs: input.retryDelayMs ?? 4_000,
    historyPageSize: Math.min(input.historyPageSize ?? 200, LIMITS.historyPage),
    savedConversations: input.savedConversations ?? null,
    saveDelayMs: input.saveDelayMs,
    restoreWaitMs: input.restoreWaitMs ?? 800,
    connection: {
      status: "connecting",
      error: null,
      errorCode: null,
      attempts: 0,
      online: environment?.online ?? true,
      serverVersion: null,
      vapidPublicKey: null,
    },
    needsSessionList: false,
    sessions: [],
    machines: [],
    sessionsKnown: false,
    sessionId,
    subscribedSessionId: null,
    events: [],
    lastSeq: 0,
    hasEarlier: false,
    outbox,
    cancels: [],
    answerQueue: [],
    answers: {},
    sessionOps: [],
    sessionOpError: null,
    turnNotes: {},
    notice: null,
    turns: turnsFor([], outbox, sessionId),
    restoredFor: input.savedConversations ? null : sessionId,
    showingSaved: false,
  };
}

/** A fresh view of another session: its events are fetched by the subscribe that follows. */
export function switchedTo(context: ChatContext, sessionId: string | null): Partial<ChatContext> {
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
    // Its saved copy is looked for next (`lookupSaved`), unless nothing is kept on this device.
    restoredFor: context.savedConversations ? null : sessionId,
    showingSaved: false,
  };
}

/**
 * The saved copy of the session on screen, shown while nothing newer is: only before this session
 * was subscribed (its copy would otherwise fill a gap the server's answer left open) and while it
 * shows nothing. The saved session list stands in until the server's own comes.
 */
export function restoreSaved(context: ChatContext, event: RestoreEvent): Partial<ChatContext> {
  const sessions = !context.sessionsKnown && context.sessions.length === 0 && event.sessions ? event.sessions : null;
  const current = event.sessionId === context.sessionId && context.restoredFor !== event.sessionId;
  if (!current) return sessions ? { sessions } : {};
  const saved = event.saved;
  if (!saved || saved.events.length === 0 || context.events.length > 0) {
    return { restoredFor: event.sessionId, ...(sessions ? { sessions } : {}) };
  }
  const events = saved.events;
  return {
    restoredFor: event.sessionId,
    ...(sessions ? { sessions } : {}),
    events,
    lastSeq: events[events.length - 1]?.payload.seq ?? 0,
    hasEarlier: saved.hasEarlier,
    turns: turnsFor(events, context.outbox, context.sessionId),
    showingSaved: true,
  };
}

// ---------------------------------------------------------------------------
// The user's actions
// ---------------------------------------------------------------------------

type EventOf<T extends ChatEvent["type"]> = Extract<ChatEvent, { type: T }>;

function withOutbox(context: ChatContext, outbox: PendingSend[]): Partial<ChatContext> {
  saveOutbox(context.storage, outbox);
  return { outbox, turns: turnsFor(context.events, outbox, context.sessionId) };
}

export function enqueueSend(context: ChatContext, event: EventOf<"SEND">): Partial<ChatContext> {
  if (context.sessionId === null) return {};
  const message = event.message.trim();
  const attachments = event.attachments?.slice(0, LIMITS.attachments) ?? [];
  if (!message && attachments.length === 0) return {};
  const item: PendingSend = {
    requestId: event.requestId ?? crypto.randomUUID(),
    sessionId: context.sessionId,
    message,
    ...(attachments.length ? { attachments } : {}),
    at: new Date().toISOString(),
    error: null,
  };
  return withOutbox(context, [...context.outbox, item]);
}

export function retrySend(context: ChatContext, requestId: string): Partial<ChatContext> {
  return withOutbox(
    context,
    context.outbox.map((item) => (item.requestId === requestId ? { ...item, error: null } : item)),
  );
}

export function dropSend(context: ChatContext, requestId: string): Partial<ChatContext> {
  return withOutbox(
    context,
    context.outbox.filter((item) => item.requestId !== requestId),
  );
}

/** Stop: a message not sent yet is just dropped here; a turn the server has is cancelled there, once. */
export function enqueueCancel(context: ChatContext, targetRequestId: string): Partial<ChatContext> {
  const sessionId = context.sessionId;
  if (!sessionId) return {};
  if (context.outbox.some((item) => item.requestId === targetRequestId)) return dropSend(context, targetRequestId);
  if (context.cancels.some((cancel) => cancel.targetRequestId === targetRequestId)) return {};
  return { cancels: [...context.cancels, { sessionId, targetRequestId }] };
}

export function enqueueAnswer(context: ChatContext, event: EventOf<"RESPOND_PERMISSION">): Partial<ChatContext> {
  if (context.sessionId === null) return {};
  const { type: _type, ...rest } = event;
  const current = context.answers[event.permissionId];
  if (current?.status === "sending") return {}; // one answer at a time per request
  const answer: PermissionAnswer = { ...rest, sessionId: context.sessionId };
  return {
    answerQueue: [...context.answerQueue, answer],
    answers: { ...context.answers, [event.permissionId]: { status: "sending", decision: event.decision } },
  };
}

export function enqueueSessionOp(
  context: ChatContext,
  event: EventOf<"UPDATE_SESSION" | "DELETE_SESSION">,
): Partial<ChatContext> {
  const id = crypto.randomUUID();
  const op: SessionOp =
    event.type === "UPDATE_SESSION"
      ? { kind: "update", id, sessionId: event.sessionId, patch: event.patch }
      : { kind: "delete", id, sessionId: event.sessionId };
  return { sessionOps: [...context.sessionOps, op], sessionOpError: null };
}

// ---------------------------------------------------------------------------
// The serial queues (serialQueue.ts)
// ---------------------------------------------------------------------------

/** Messages go out one at a time, each to the session it was typed in once that one is subscribed. */
export const outboxQueue: SerialQueue<PendingSend> = {
  next: sendableItem,
  done: (context, item) => dropSend(context, item.requestId),
  failed: (context, item, error) => {
    // Lost connection: keep it; it is sent again (same requestId, idempotent) after resubscribing.
    if (error.code === "DISCONNECTED" || error.code === "CANCELLED") return {};
    return withOutbox(
      context,
      context.outbox.map((pending) => (pending.requestId === item.requestId ? { ...pending, error } : pending)),
    );
  },
};

/** Drops the answer that was sent from the queue; its status goes once `permission:resolved` confirmed it. */
function withoutAnswer(context: ChatContext, answer: PermissionAnswer): Pick<ChatContext, "answerQueue"> {
  return { answerQueue: context.answerQueue.filter((queued) => queued !== answer) };
}

export const permissionQueue: SerialQueue<PermissionAnswer> = {
  next: (context) => context.answerQueue[0],
  done: (context, answer) => {
    const answers = { ...context.answers };
    delete answers[answer.permissionId];
    return { ...withoutAnswer(context, answer), answers };
  },
  failed: (context, answer, error) => ({
    ...withoutAnswer(context, answer),
    answers: { ...context.answers, [answer.permissionId]: { status: "failed", decision: answer.decision, error } },
  }),
};

export const sessionOpQueue: SerialQueue<SessionOp> = {
  next: (context) => context.sessionOps[0],
  done: (context, op) => ({ sessionOps: context.sessionOps.filter((queued) => queued !== op) }),
  failed: (context, op, error) => {
    const sessionOps = context.sessionOps.filter((queued) => queued !== op);
    // Deleting what is already gone (e.g. sent again after a reconnect) is done, not failed.
    if (op.kind === "delete" && error.code === "SESSION_NOT_FOUND") {
      return { sessionOps, sessions: context.sessions.filter((s) => s.id !== op.sessionId) };
    }
    return { sessionOps, sessionOpError: { op, error } };
  },
};

export const cancelQueue: SerialQueue<CancelRequest> = {
  next: (context) => context.cancels[0],
  done: (context, cancel) => ({ cancels: context.cancels.filter((queued) => queued !== cancel) }),
  failed: (context, cancel, error) => ({
    cancels: context.cancels.filter((queued) => queued !== cancel),
    turnNotes:
      error.code !== "CANCELLED" ? { ...context.turnNotes, [cancel.targetRequestId]: error } : context.turnNotes,
  }),
};
