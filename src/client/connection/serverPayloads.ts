/**
 * What the client accepts from the server, checked where it arrives.
 *
 * The service worker can keep an old client running against a newer server, and a payload the
 * client does not expect must not reach the chat machine: one exception in a reducer stops the
 * actor and freezes the app. So every server event is parsed here first:
 * - unknown fields are dropped (a newer server may add any);
 * - an unknown session-event type inside `session:history` is left out of the page;
 * - an unknown error code becomes INTERNAL_ERROR (its message is still shown);
 * - anything else malformed makes the event invalid, and it is dropped.
 * Each problem is logged once per kind, never thrown.
 *
 * Zod would do this, but costs ~15–25 KB gzip on the first screen (decision 007); these few
 * combinators cost ~1 KB. The table is typed against `ServerPayload<K>`: a required field that is
 * not checked here does not compile.
 */
import { ERROR_CODES, type ErrorCode } from "../../shared/constants.ts";
import type { ServerEventName, ServerPayload, SessionEvent } from "../../shared/messages.ts";

const INVALID: unique symbol = Symbol("invalid");
type Invalid = typeof INVALID;
export type Parser<T> = (value: unknown) => T | Invalid;
type Parsed<P> = P extends Parser<infer T> ? T : never;

const warned = new Set<string>();

/** Logs a problem with the server's messages once per kind: a newer server repeats it every event. */
export function warnOnce(kind: string, detail?: unknown): void {
  if (warned.has(kind)) return;
  warned.add(kind);
  console.warn(`pocket-agent: ${kind} (ignored; the server may be newer than this app)`, detail ?? "");
}

const str: Parser<string> = (value) => (typeof value === "string" ? value : INVALID);
const num: Parser<number> = (value) => (typeof value === "number" && Number.isFinite(value) ? value : INVALID);
const bool: Parser<boolean> = (value) => (typeof value === "boolean" ? value : INVALID);
/** A seq or a count: sorting and binary search rely on integers. */
const count: Parser<number> = (value) =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : INVALID;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function oneOf<const V extends string>(values: readonly V[], fallback?: V): Parser<V> {
  return (value) => {
    const known = values.find((candidate) => candidate === value);
    return known ?? fallback ?? INVALID;
  };
}

function literal<const V extends string>(expected: V): Parser<V> {
  return (value) => (value === expected ? expected : INVALID);
}

function optional<T>(parse: Parser<T>): Parser<T | undefined> {
  return (value) => (value === undefined ? undefined : parse(value));
}

/** Absent or a value this app does not know yet: left out, never the whole payload lost. */
function ignoredUnlessKnown<const V extends string>(values: readonly V[]): Parser<V | undefined> {
  return (value) => values.find((candidate) => candidate === value);
}

/** A flag an older server does not send: false. */
const flag: Parser<boolean> = (value) => (value === undefined ? false : typeof value === "boolean" ? value : INVALID);

/** Every item must parse. */
function list<T>(parse: Parser<T>): Parser<T[]> {
  return (value) => {
    if (!Array.isArray(value)) return INVALID;
    const out: T[] = [];
    for (const item of value) {
      const parsed = parse(item);
      if (parsed === INVALID) return INVALID;
      out.push(parsed);
    }
    return out;
  };
}

/** Items that do not parse are left out (and logged): one odd item must not cost the whole list. */
function someOf<T>(parse: Parser<T>, what: string): Parser<T[]> {
  return (value) => {
    if (!Array.isArray(value)) return INVALID;
    const out: T[] = [];
    for (const item of value) {
      const parsed = parse(item);
      if (parsed === INVALID) warnOnce(`skipped a ${what} the app does not understand`, item);
      else out.push(parsed);
    }
    return out;
  };
}

function record<T>(parse: Parser<T>): Parser<Record<string, T>> {
  return (value) => {
    if (!isRecord(value)) return INVALID;
    const out: Record<string, T> = {};
    for (const [key, item] of Object.entries(value)) {
      const parsed = parse(item);
      if (parsed === INVALID) return INVALID;
      out[key] = parsed;
    }
    return out;
  };
}

const anything: Parser<unknown> = (value) => value;

type Shape = Record<string, Parser<unknown>>;

/** Only the shape's fields are kept: the rest is what a newer server added. */
function object<S extends Shape>(shape: S): Parser<{ [K in keyof S]: Parsed<S[K]> }> {
  const fields = Object.entries(shape);
  return (value) => {
    if (!isRecord(value)) return INVALID;
    const out: Record<string, unknown> = {};
    for (const [key, parse] of fields) {
      const parsed = parse(value[key]);
      if (parsed === INVALID) return INVALID;
      if (parsed !== undefined) out[key] = parsed;
    }
    return out as { [K in keyof S]: Parsed<S[K]> };
  };
}

function extend<A extends Shape, B extends Shape>(base: A, more: B): A & B {
  return { ...base, ...more };
}

// -- the protocol's payloads (src/shared/messages.ts) -------------------------------------------

const errorCode: Parser<ErrorCode> = oneOf(ERROR_CODES, "INTERNAL_ERROR");
const permissionMode = oneOf(["default", "acceptEdits", "plan", "bypassPermissions"]);
const answers = record(str);

const sessionShape = {
  id: str,
  title: str,
  model: str,
  cwd: str,
  permissionMode,
  // A status this app does not know yet is shown as idle rather than losing the session.
  status: oneOf(["idle", "running"], "idle"),
  queued: count,
  pendingPermissions: count,
  lastSeq: count,
  createdAt: str,
  updatedAt: str,
  claudeSessionId: optional(str),
  forkedFrom: optional(str),
  pinned: flag,
  archived: flag,
  lastMessage: optional(object({ from: oneOf(["you", "agent"], "agent"), text: str })),
  lastOutcome: ignoredUnlessKnown(["done", "failed", "stopped"]),
  activity: optional(str),
  branch: optional(str),
  machineId: optional(str),
};
/** A server from before projects sends no `project`: a session's project is its cwd. */
const withProject =
  <S extends { cwd: string }>(parse: Parser<S & { project: string | undefined }>): Parser<S & { project: string }> =>
  (value) => {
    const parsed = parse(value);
    return parsed === INVALID ? INVALID : { ...parsed, project: parsed.project ?? parsed.cwd };
  };
const session = withProject(object({ ...sessionShape, project: optional(str) }));

const project = object({
  path: str,
  name: str,
  root: str,
  isGit: bool,
  branch: optional(str),
  dirty: optional(bool),
  lastActivityAt: optional(str),
  sessionCount: count,
  claudeSessionCount: count,
});
const claudeSession = object({
  claudeSessionId: str,
  summary: str,
  firstPrompt: optional(str),
  lastModified: str,
  gitBranch: optional(str),
  importedAs: optional(str),
  inUse: bool,
});
const sessions = someOf(session, "session");
const machine = object({
  id: str,
  name: str,
  url: str,
  // A status this app does not know yet is shown as offline: nothing is sent to it.
  status: oneOf(["online", "offline", "connecting"], "offline"),
  lastSeenAt: optional(str),
  fingerprint: optional(str),
  problem: ignoredUnlessKnown(["MACHINE_UNREACHABLE", "MACHINE_TOKEN_REFUSED", "MACHINE_CERT_CHANGED"]),
  presentedFingerprint: optional(str),
});

const error = { message: str, code: errorCode, requestId: str, sessionId: optional(str) };
const attachmentInfo = object({
  id: str,
  name: str,
  mediaType: oneOf(["image/png", "image/jpeg", "image/gif", "image/webp"]),
  size: count,
});
const allowRule = object({
  id: str,
  toolName: str,
  kind: oneOf(["command", "prefix", "tool", "folder"]),
  content: optional(str),
  createdAt: str,
});
const slashCommand = object({
  name: str,
  description: str,
  argumentHint: str,
  aliases: optional(list(str)),
  builtin: bool,
});
const eventBase = { sessionId: str, seq: count };

// A status this app does not know yet is shown as a modification.
const fileStatus = oneOf(["added", "modified", "deleted", "renamed", "untracked"], "modified");

const sessionEventPayloads = {
  "chat:queued": object(
    extend(eventBase, {
      requestId: str,
      message: str,
      // An image of a type this app does not know is left out; the message still shows.
      attachments: optional(someOf(attachmentInfo, "attachment")),
      at: str,
      // A reason this app does not know yet still shows the message as queued.
      waitingFor: optional(oneOf(["turn", "agent"], "turn")),
    }),
  ),
  "chat:started": object(extend(eventBase, { requestId: str, at: str })),
  "chat:delta": object(extend(eventBase, { requestId: str, text: str })),
  log: object(extend(eventBase, { requestId: str, data: str })),
  "chat:response": object(
    extend(eventBase, {
      response: str,
      logs: list(str),
      requestId: str,
      durationMs: num,
      costUsd: optional(num),
      usage: optional(
        object({ inputTokens: count, outputTokens: count, cacheReadTokens: count, cacheCreationTokens: count }),
      ),
    }),
  ),
  "chat:error": object(extend(error, { seq: optional(count), resetsAt: optional(str) })),
  // A notice of a kind this app does not know yet is still shown: its message is for people.
  "chat:notice": object(
    extend(eventBase, {
      requestId: str,
      kind: oneOf(["context_lost", "compacted", "cleared"], "context_lost"),
      message: str,
    }),
  ),
  "permission:request": object(
    extend(eventBase, {
      requestId: str,
      permissionId: str,
      toolName: str,
      input: record(anything),
      toolUseId: optional(str),
      title: optional(str),
      description: optional(str),
      decisionReason: optional(str),
      blockedPath: optional(str),
      suggestions: list(anything),
    }),
  ),
  "permission:resolved": object(
    extend(eventBase, {
      requestId: str,
      permissionId: str,
      decision: oneOf(["allow", "deny", "allow_always", "cancelled"]),
      message: optional(str),
      answers: optional(answers),
      rule: optional(allowRule),
    }),
  ),
  "turn:changes": object(
    extend(eventBase, {
      requestId: str,
      files: someOf(
        object({
          path: str,
          status: fileStatus,
          additions: count,
          deletions: count,
          diff: optional(str),
          truncated: optional(bool),
          binary: optional(bool),
        }),
        "changed file",
      ),
    }),
  ),
} satisfies { [K in SessionEvent["type"]]: Parser<ServerPayload<K>> };

function isSessionEventType(type: unknown): type is SessionEvent["type"] {
  return typeof type === "string" && Object.hasOwn(sessionEventPayloads, type);
}

/** A stored session event as `session:history` returns it. */
const storedSessionEvent: Parser<SessionEvent> = (value) => {
  if (!isRecord(value) || !isSessionEventType(value.type)) return INVALID;
  const type = value.type;
  const payload = sessionEventPayloads[type](value.payload);
  if (payload === INVALID) return INVALID;
  // A stored chat:error always belongs to a turn: it has the session and the seq.
  if (type === "chat:error" && (payload.sessionId === undefined || payload.seq === undefined)) return INVALID;
  return { type, payload } as SessionEvent;
};

export const serverPayloads: { [K in ServerEventName]: Parser<ServerPayload<K>> } = {
  ...sessionEventPayloads,
  connection: object({
    status: literal("connected"),
    sessions,
    serverVersion: str,
    push: object({ vapidPublicKey: str }),
    machines: optional(someOf(machine, "machine")),
    machineName: optional(str),
  }),
  "session:list": object({ sessions, requestId: str }),
  "session:created": withProject(object(extend(sessionShape, { project: optional(str), requestId: str }))),
  "session:updated": object({ session, requestId: optional(str) }),
  "session:deleted": object({ sessionId: str, requestId: optional(str) }),
  "session:found": object({
    query: str,
    requestId: str,
    results: someOf(object({ sessionId: str, snippet: optional(str), machineId: optional(str) }), "search result"),
  }),
  "session:subscribed": object({ sessionId: str, requestId: str, fromSeq: count, lastSeq: count }),
  "session:unsubscribed": object({ sessionId: str, requestId: str }),
  "session:history": object({
    sessionId: str,
    requestId: str,
    events: someOf(storedSessionEvent, "stored session event"),
    hasMore: bool,
  }),
  "session:error": object(error),
  "permission:error": object(error),
  "permission:rules": object({ sessionId: str, rules: someOf(allowRule, "rule"), requestId: str }),
  "permission:revoked": object({ sessionId: str, ruleId: str, requestId: str }),
  "project:list": object({ projects: someOf(project, "project"), requestId: str }),
  "project:sessions": object({
    path: str,
    sessions: someOf(claudeSession, "Claude Code session"),
    hasMore: bool,
    requestId: str,
  }),
  "project:error": object(error),
  "push:subscribed": object({ deviceId: str, requestId: str }),
  "push:unsubscribed": object({ requestId: str }),
  "push:tested": object({ sent: count, requestId: str }),
  "push:error": object(error),
  "commands:result": object({ sessionId: str, requestId: str, commands: someOf(slashCommand, "slash command") }),
  "commands:error": object(error),
  "changes:result": object({
    sessionId: str,
    requestId: str,
    isGit: bool,
    branch: optional(str),
    files: someOf(
      object({
        path: str,
        oldPath: optional(str),
        status: fileStatus,
        additions: count,
        deletions: count,
        diff: str,
        truncated: bool,
        binary: optional(bool),
      }),
      "changed file",
    ),
    more: optional(bool),
  }),
  "changes:error": object(error),
  "file:content": object({ sessionId: str, path: str, content: str, truncated: bool, size: count, requestId: str }),
  "file:error": object(error),
  "machine:list": object({ machines: someOf(machine, "machine"), requestId: str }),
  "machine:added": object({ machine, requestId: str }),
  "machine:removed": object({ machineId: str, requestId: str }),
  "machine:updated": object({ machine, requestId: optional(str) }),
  "machine:pong": object({ requestId: str }),
  "machine:error": object({ ...error, machineId: optional(str), fingerprint: optional(str) }),
};

export function isServerEventName(name: string): name is ServerEventName {
  return Object.hasOwn(serverPayloads, name);
}

/** The payload as the client may use it, or null (logged once) when it is not one. */
export function parseServerPayload<K extends ServerEventName>(name: K, payload: unknown): ServerPayload<K> | null {
  const parse: Parser<ServerPayload<K>> = serverPayloads[name];
  const parsed = parse(payload);
  if (parsed !== INVALID) return parsed;
  warnOnce(`dropped a malformed ${name}`, payload);
  return null;
}
