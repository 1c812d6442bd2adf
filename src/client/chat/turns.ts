/**
 * A session's numbered events (kept sorted and unique by `seq`) and the chat
 * turns derived from them. Pure functions: the machine stores the results in
 * its context and the UI renders them.
 */
import type {
  AllowRule,
  ErrorCode,
  ImageMediaType,
  PermissionResolved,
  SessionEvent,
  TurnChangedFile,
  TurnUsage,
} from "../../shared/messages.ts";
import type { ClientError } from "../connection/request.ts";
import { type ReplyText, StreamedText } from "./streamedText.ts";

/** An image picked on this device, ready to go with a message (images.ts prepared it). */
export interface OutgoingImage {
  /** Local id, for lists and removal. */
  key: string;
  name: string;
  mediaType: ImageMediaType;
  data: Uint8Array;
  /** An object URL of `data`, for the thumbnails. */
  previewUrl: string;
}

/** An image shown with a message: the server's copy (by URL) or the device's own while unsent. */
export interface TurnImage {
  key: string;
  name: string;
  src: string;
}

/** Where a stored image's bytes are served (the pairing cookie authenticates the request). */
export const attachmentUrl = (id: string) => `/api/attachments/${encodeURIComponent(id)}`;

/** A message typed here that the server has not confirmed (`chat:queued`) yet. */
export interface PendingSend {
  requestId: string;
  sessionId: string;
  message: string;
  /**
   * Images sent with it. Held in memory only: the outbox saved on the device keeps text, so a
   * message with images that was not sent before the app closed is lost (decision 050).
   */
  attachments?: OutgoingImage[];
  at: string;
  /** Set when the server rejected it or did not answer; the user can retry (same requestId) or discard it. */
  error: ClientError | null;
}

export type TurnStatus = "sending" | "queued" | "running" | "done" | "error";

/** A tool use the agent asked the user to approve, and what became of it. */
export interface TurnPermission {
  permissionId: string;
  toolName: string;
  input: Record<string, unknown>;
  /** The tool call's id (its step in the logs); null in events stored before it was sent. */
  toolUseId: string | null;
  /** Claude Code's own sentence for the ask, e.g. "Claude wants to edit foo.ts". */
  title: string | null;
  description: string | null;
  decisionReason: string | null;
  blockedPath: string | null;
  /** Answered "Always allow": the rule it added to the session. */
  rule: AllowRule | null;
  status: "pending" | PermissionResolved["decision"];
  /** The reason given with the resolution (a denial's reason, why it was cancelled). */
  resolutionMessage: string | null;
  /** AskUserQuestion: what was chosen (question → label(s)), on whichever device answered. */
  answers: Record<string, string> | null;
  /** Seq of the `permission:request` event. */
  seq: number;
}

export interface Turn {
  requestId: string;
  /** The user's message; null when its `chat:queued` event is older than what is loaded. */
  message: string | null;
  /** The images sent with it. */
  images: TurnImage[];
  status: TurnStatus;
  /** When the message was queued (ISO). */
  at: string | null;
  /** When the agent started on it (ISO), once it has. */
  startedAt: string | null;
  /** The assistant text: streamed deltas while running, the final response once done. */
  text: string;
  /**
   * The same streamed deltas, for the renderer, until the response replaces them (null then, and
   * before the first delta). Read `text` while a reply streams and V8 copies all of it each time.
   */
  streamed: StreamedText | null;
  /** The turn's agent messages (SDK JSON text), in order. */
  logs: string[];
  durationMs: number | null;
  costUsd: number | null;
  /** Tokens the turn used, once it has answered (a server from before usage sends none). */
  usage: TurnUsage | null;
  /** `resetsAt`: a rate or usage limit's reset time (ISO), when the API said. */
  error: { code: ErrorCode; message: string; resetsAt?: string } | null;
  /** The files the turn changed (its `turn:changes`), or null when it changed none. */
  changes: TurnChangedFile[] | null;
  /** While queued: behind another turn of the session, or waiting for a free agent process. */
  waitingFor: "turn" | "agent" | null;
  /** Said by the server about this turn: e.g. the agent lost its earlier context. */
  notice: string | null;
  /** What the notice is about: a warning (`context_lost`) or what a command did (`compacted`, `cleared`). */
  noticeKind: "context_lost" | "compacted" | "cleared" | null;
  /** Approvals asked for during this turn, in order. */
  permissions: TurnPermission[];
  /** Seq of the first event of this turn that is loaded (Infinity while only local). */
  firstSeq: number;
  /** Only on this device: not (yet) accepted by the server. */
  local: boolean;
}

/** Inserts `incoming` into the sorted, unique `events`. Returns the same array when nothing was new. */
export function mergeEvents(
  events: readonly SessionEvent[],
  incoming: readonly SessionEvent[],
): readonly SessionEvent[] {
  let result: SessionEvent[] | null = null;
  for (const event of incoming) {
    const list: readonly SessionEvent[] = result ?? events;
    const seq = event.payload.seq;
    const last = list[list.length - 1];
    if (!last || last.payload.seq < seq) {
      result ??= [...events];
      result.push(event);
      continue;
    }
    const index = lowerBound(list, seq);
    if (list[index]?.payload.seq === seq) continue; // duplicate (replay)
    result ??= [...events];
    result.splice(index, 0, event);
  }
  return result ?? events;
}

/** True when `events` already holds an event with this seq. */
export function hasSeq(events: readonly SessionEvent[], seq: number): boolean {
  return events[lowerBound(events, seq)]?.payload.seq === seq;
}

function lowerBound(events: readonly SessionEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const midSeq = events[mid]?.payload.seq ?? 0;
    if (midSeq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function emptyTurn(requestId: string, firstSeq: number): Turn {
  return {
    requestId,
    message: null,
    images: [],
    status: "queued",
    at: null,
    startedAt: null,
    text: "",
    streamed: null,
    logs: [],
    durationMs: null,
    costUsd: null,
    usage: null,
    error: null,
    changes: null,
    waitingFor: null,
    notice: null,
    noticeKind: null,
    permissions: [],
    firstSeq,
    local: false,
  };
}

/** Finds or starts the turn an event belongs to, ready to be changed. */
type TurnFor = (requestId: string, seq: number) => Turn;

/** Applies one session event to its turn (changed in place: `turnFor` hands out turns this derivation owns). */
function applyEvent(event: SessionEvent, turnFor: TurnFor): void {
  switch (event.type) {
    case "chat:queued": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      turn.message = event.payload.message;
      turn.images = (event.payload.attachments ?? []).map((a) => ({
        key: a.id,
        name: a.name,
        src: attachmentUrl(a.id),
      }));
      turn.at = event.payload.at;
      turn.waitingFor = event.payload.waitingFor ?? null;
      break;
    }
    case "chat:notice": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      turn.notice = event.payload.message;
      turn.noticeKind = event.payload.kind;
      break;
    }
    case "chat:started": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      if (turn.status === "queued") turn.status = "running";
      turn.startedAt = event.payload.at;
      break;
    }
    case "chat:delta": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      if (turn.status === "queued") turn.status = "running";
      // From the text so far: a (stray) delta after the response goes on from it, as `text` does.
      turn.streamed = (turn.streamed ?? StreamedText.EMPTY.append(turn.text)).append(event.payload.text);
      turn.text += event.payload.text;
      break;
    }
    case "log": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      if (turn.status === "queued") turn.status = "running";
      turn.logs.push(event.payload.data);
      break;
    }
    case "chat:response": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      turn.status = "done";
      turn.text = event.payload.response;
      turn.streamed = null;
      // The response carries the turn's complete logs, even those older than what is loaded.
      if (event.payload.logs.length >= turn.logs.length) turn.logs = [...event.payload.logs];
      turn.durationMs = event.payload.durationMs;
      turn.costUsd = event.payload.costUsd ?? null;
      turn.usage = event.payload.usage ?? null;
      break;
    }
    case "chat:error": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      turn.status = "error";
      const { code, message, resetsAt } = event.payload;
      turn.error = resetsAt ? { code, message, resetsAt } : { code, message };
      break;
    }
    case "turn:changes": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      turn.changes = event.payload.files;
      break;
    }
    case "permission:request": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      const p = event.payload;
      if (turn.status === "queued") turn.status = "running";
      if (turn.permissions.some((existing) => existing.permissionId === p.permissionId)) break;
      turn.permissions.push({
        permissionId: p.permissionId,
        toolName: p.toolName,
        input: p.input,
        toolUseId: p.toolUseId ?? null,
        title: p.title ?? null,
        description: p.description ?? null,
        decisionReason: p.decisionReason ?? null,
        blockedPath: p.blockedPath ?? null,
        rule: null,
        status: "pending",
        resolutionMessage: null,
        answers: null,
        seq: p.seq,
      });
      break;
    }
    case "permission:resolved": {
      const turn = turnFor(event.payload.requestId, event.payload.seq);
      const index = turn.permissions.findIndex((p) => p.permissionId === event.payload.permissionId);
      const asked = turn.permissions[index];
      if (asked) {
        turn.permissions[index] = {
          ...asked,
          status: event.payload.decision,
          resolutionMessage: event.payload.message ?? null,
          answers: event.payload.answers ?? null,
          rule: event.payload.rule ?? null,
        };
      }
      break;
    }
    default:
      // Every type is handled (this does not compile otherwise); one from a newer server that
      // got past the socket's checks is skipped, not thrown: a throw here stops the chat actor.
      event satisfies never;
  }
}

/** Adds the local sends the server has not confirmed (or rejected) after the server's turns. */
function withPending(
  order: Turn[],
  byId: ReadonlyMap<string, Turn>,
  pending: readonly PendingSend[],
  previousLocal: (requestId: string) => Turn | undefined = () => undefined,
): Turn[] {
  for (const send of pending) {
    if (byId.has(send.requestId)) continue;
    const kept = previousLocal(send.requestId);
    if (kept && kept.message === send.message && kept.error === send.error) {
      order.push(kept);
      continue;
    }
    const turn = emptyTurn(send.requestId, Number.POSITIVE_INFINITY);
    turn.message = send.message;
    turn.images = (send.attachments ?? []).map((a) => ({ key: a.key, name: a.name, src: a.previewUrl }));
    turn.at = send.at;
    turn.status = send.error ? "error" : "sending";
    turn.error = send.error;
    turn.local = true;
    order.push(turn);
  }
  return order;
}

/**
 * Groups events into turns by `requestId`, in the order their first event
 * appears; then adds local sends the server has not confirmed yet (or rejected).
 */
export function deriveTurns(events: readonly SessionEvent[], pending: readonly PendingSend[] = []): Turn[] {
  const byId = new Map<string, Turn>();
  const order: Turn[] = [];
  for (const event of events) {
    applyEvent(event, (requestId, seq) => {
      let turn = byId.get(requestId);
      if (!turn) {
        turn = emptyTurn(requestId, seq);
        byId.set(requestId, turn);
        order.push(turn);
      }
      return turn;
    });
  }
  return withPending(order, byId, pending);
}

/**
 * The turns of `previous` (derived with the same `pending`) after `appended`, events newer than
 * any before: only the turns they touch are copied and changed, the others stay the same objects.
 * A delta is one event: rebuilding every turn and its logs for it made each streamed frame cost
 * as much as the whole conversation, and gave every turn new logs (parsed again by the activity).
 */
export function appendToTurns(
  previous: readonly Turn[],
  appended: readonly SessionEvent[],
  pending: readonly PendingSend[] = [],
): Turn[] {
  const order = previous.filter((turn) => !turn.local);
  const index = new Map(order.map((turn, at) => [turn.requestId, at]));
  const copied = new Set<string>();
  for (const event of appended) {
    applyEvent(event, (requestId, seq) => {
      const at = index.get(requestId);
      const existing = at === undefined ? undefined : order[at];
      if (at === undefined || !existing) {
        const turn = emptyTurn(requestId, seq);
        index.set(requestId, order.length);
        order.push(turn);
        copied.add(requestId);
        return turn;
      }
      if (copied.has(requestId)) return existing;
      // Copied once per batch; logs and permissions are copied too, as they may be added to.
      const turn: Turn = { ...existing, logs: [...existing.logs], permissions: [...existing.permissions] };
      order[at] = turn;
      copied.add(requestId);
      return turn;
    });
  }
  // A turn whose logs did not change keeps the logs it had (the activity view parses them by identity).
  const before = new Map(previous.map((turn) => [turn.local ? `local:${turn.requestId}` : turn.requestId, turn]));
  for (const requestId of copied) {
    const turn = order[index.get(requestId) ?? -1];
    const old = before.get(requestId);
    if (!turn || !old) continue;
    if (sameItems(turn.logs, old.logs)) turn.logs = old.logs;
    if (sameItems(turn.permissions, old.permissions)) turn.permissions = old.permissions;
  }
  const byId = new Map(order.map((turn) => [turn.requestId, turn]));
  return withPending(order, byId, pending, (requestId) => before.get(`local:${requestId}`));
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Approvals still waiting for an answer, oldest first (only on turns that have not ended). */
export function pendingPermissions(turns: readonly Turn[]): TurnPermission[] {
  const pending: TurnPermission[] = [];
  for (const turn of turns) {
    if (turn.status === "done" || turn.status === "error") continue;
    for (const permission of turn.permissions) if (permission.status === "pending") pending.push(permission);
  }
  return pending;
}

/**
 * The reply as the renderer takes it: its streamed deltas while the agent writes it (a
 * StreamedText, which the renderer reads as still streaming), the text once the turn is over (by
 * its response, an error or Stop).
 */
export function replyText(turn: Pick<Turn, "status" | "streamed" | "text">): ReplyText {
  return turn.status === "running" && turn.streamed ? turn.streamed : turn.text;
}

/** The turn the agent is working on now, if any. */
export function runningTurn(turns: readonly Turn[]): Turn | undefined {
  return turns.find((turn) => turn.status === "running");
}
