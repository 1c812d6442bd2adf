/**
 * The Pocket Agent wire protocol: the single source of truth for every message
 * exchanged between the PWA and the server.
 *
 * Schemas come first; every type is `z.infer`red from them, and the Socket.IO
 * event maps are derived from the two registries (`clientEvents`,
 * `serverEvents`) so a wrong event name or payload does not compile on either
 * side. Each Socket.IO event carries exactly one argument: its payload.
 *
 * This module is imported by the client bundle: keep it free of server code.
 */
import { z } from "zod";
import { ERROR_CODES, IMAGE_MEDIA_TYPES, LIMITS, NIL_REQUEST_ID, PUSH_EVENT_KINDS } from "./constants.ts";
import { FINGERPRINT_PATTERN, LOCAL_MACHINE_ID } from "./machines.ts";

export * from "./constants.ts";
export * from "./machines.ts";

/** The closed set of error codes (their meanings are in constants.ts). */
export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

export const RequestId = z.uuid();
export const SessionId = z.uuid();
/** Claude Code's own session id (a UUID: it names a transcript file, so nothing else is accepted). */
export const ClaudeSessionId = z.uuid();
export const Seq = z.number().int().nonnegative();

/** `haiku`, `sonnet`, `opus`, or a full model id such as `claude-sonnet-4-5`. */
export const ModelName = z
  .string()
  .max(LIMITS.modelChars)
  .regex(/^(haiku|sonnet|opus|claude-[a-z0-9][a-z0-9.\-[\]]*)$/, "expected haiku, sonnet, opus or a claude-… model id");

/** The agent's own tool-permission mode (Claude Code's `permissionMode`). */
export const PermissionMode = z.enum(["default", "acceptEdits", "plan", "bypassPermissions"]);
export type PermissionMode = z.infer<typeof PermissionMode>;

export const SessionStatus = z.enum(["idle", "running"]);

/** `"local"` (the server the phone is paired with) or a linked machine's id (decision 060). */
export const MachineId = z.union([z.literal(LOCAL_MACHINE_ID), z.uuid()]);
/** SHA-256 of a machine's TLS certificate, `AA:BB:…` (32 pairs). */
export const Fingerprint = z.string().regex(FINGERPRINT_PATTERN, "expected a SHA-256 fingerprint (AA:BB:…)");
export const MachineStatus = z.enum(["online", "offline", "connecting"]);
export type MachineStatus = z.infer<typeof MachineStatus>;
/** Why a machine is offline, when the user can do something about it. */
export const MachineProblem = z.enum(["MACHINE_UNREACHABLE", "MACHINE_TOKEN_REFUSED", "MACHINE_CERT_CHANGED"]);
export type MachineProblem = z.infer<typeof MachineProblem>;

/** A Pocket Agent server whose sessions this one relays (or this one itself, `id: "local"`). Never carries its token. */
export const Machine = z.object({
  id: MachineId,
  name: z.string().max(LIMITS.machineNameChars),
  /** Its origin (`https://host:port`); empty for `local`. */
  url: z.string().max(LIMITS.machineUrlChars),
  status: MachineStatus,
  /** When it was last connected (absent for `local`, and before the first connection). */
  lastSeenAt: z.iso.datetime().optional(),
  /** The certificate pinned when it was added (https only). */
  fingerprint: Fingerprint.optional(),
  problem: MachineProblem.optional(),
  /** MACHINE_CERT_CHANGED: the certificate it presents now, for the user to compare and confirm. */
  presentedFingerprint: Fingerprint.optional(),
});
export type Machine = z.infer<typeof Machine>;

/** Tokens one turn used (the agent's main loop, from the SDK's `result.usage`). */
export const TurnUsage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  cacheCreationTokens: z.number().int().nonnegative(),
});
export type TurnUsage = z.infer<typeof TurnUsage>;

/** A session's finished turns, counted by the server (the client holds only the turns it loaded). */
export const SessionTotals = z.object({
  turns: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  /** Absent when no turn reported a cost. */
  costUsd: z.number().nonnegative().optional(),
  /** Absent when no turn reported its tokens. */
  usage: TurnUsage.optional(),
});
export type SessionTotals = z.infer<typeof SessionTotals>;

export const Session = z.object({
  id: SessionId,
  title: z.string().max(LIMITS.titleChars),
  model: ModelName,
  cwd: z.string().max(LIMITS.pathChars),
  permissionMode: PermissionMode,
  status: SessionStatus,
  /** Turns waiting behind the running one. */
  queued: z.number().int().nonnegative(),
  /** Tool uses waiting for the user's approval. */
  pendingPermissions: z.number().int().nonnegative(),
  /** Highest event `seq` stored for this session (0 when empty). */
  lastSeq: Seq,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** The project (a directory inside an allowed root) the session belongs to: its `cwd` today. */
  project: z.string().max(LIMITS.pathChars),
  /** The git branch checked out in its folder (a short commit id when detached); read again after each turn. */
  branch: z.string().max(LIMITS.titleChars).optional(),
  /** The Claude Code session the agent resumes, once there is one. */
  claudeSessionId: ClaudeSessionId.optional(),
  /**
   * Continued from a Claude Code session that was in use at the desk: the agent resumes a fork
   * (`claudeSessionId`) of that one, named here, whose transcript it never writes.
   */
  forkedFrom: ClaudeSessionId.optional(),
  /** Kept at the top of the list (above the rest, below "Needs you"). */
  pinned: z.boolean(),
  /** Out of the list, under "Archived"; still works as before. */
  archived: z.boolean(),
  /** The newest message, as one line of plain text (no markdown): what the list shows under the title. */
  lastMessage: z.object({ from: z.enum(["you", "agent"]), text: z.string().max(LIMITS.titleChars) }).optional(),
  /** How the newest finished turn ended (absent before the first one). */
  lastOutcome: z.enum(["done", "failed", "stopped"]).optional(),
  /** While a turn runs: what the agent is doing now, e.g. "Running `npm test`". */
  activity: z.string().max(LIMITS.titleChars).optional(),
  /** The machine it runs on: `"local"`, or a linked machine's id (absent in copies saved before machines existed: local). */
  machineId: MachineId.optional(),
  /** Every finished turn's duration, tokens and cost (absent before the first one, and from older servers). */
  totals: SessionTotals.optional(),
});
export type Session = z.infer<typeof Session>;

/** A project: a directory inside an allowed root (the root itself, a git work tree, a directory with Claude Code history, or one a session works in). */
export const Project = z.object({
  /** Absolute and canonical, inside `root`. */
  path: z.string().max(LIMITS.pathChars),
  name: z.string().max(LIMITS.pathChars),
  /** The allowed root it is in (`POCKET_WORKDIR`). */
  root: z.string().max(LIMITS.pathChars),
  isGit: z.boolean(),
  /** The checked-out branch (a short commit id when detached). */
  branch: z.string().max(LIMITS.titleChars).optional(),
  /** Uncommitted changes; absent until known (it is found out in the background). */
  dirty: z.boolean().optional(),
  lastActivityAt: z.iso.datetime().optional(),
  /** Pocket Agent sessions working in it. */
  sessionCount: z.number().int().nonnegative(),
  /** Claude Code's own sessions started in it (programmatic ones not counted). */
  claudeSessionCount: z.number().int().nonnegative(),
});
export type Project = z.infer<typeof Project>;

/** One of Claude Code's own sessions in a project, as `listSessions` reports it. */
export const ClaudeSession = z.object({
  claudeSessionId: ClaudeSessionId,
  /** Its title: the name given with /rename, Claude Code's summary, or the first prompt. */
  summary: z.string(),
  firstPrompt: z.string().optional(),
  lastModified: z.iso.datetime(),
  gitBranch: z.string().optional(),
  /** The Pocket Agent session that already continues it. */
  importedAs: SessionId.optional(),
  /**
   * Still in use at the desk (its transcript changed in the last 2 minutes, or a live `claude`
   * process holds it): continuing it now makes a fork.
   */
  inUse: z.boolean(),
});
export type ClaudeSession = z.infer<typeof ClaudeSession>;

export const ImageMediaType = z.enum(IMAGE_MEDIA_TYPES);
export type ImageMediaType = z.infer<typeof ImageMediaType>;

/**
 * An image's bytes as a Socket.IO binary attachment (a `Uint8Array` or `Buffer` on the server,
 * a `Uint8Array` from the client), never base64 text. Its real type is read from the bytes
 * (`sniffImageType`); the declared `mediaType` must match it.
 */
export const ImageBytes = z
  .custom<Uint8Array>((value) => value instanceof Uint8Array, "expected binary data (a Socket.IO binary attachment)")
  .refine((bytes) => bytes.byteLength > 0, "the image is empty")
  .refine(
    (bytes) => bytes.byteLength <= LIMITS.attachmentBytes,
    `an image may be at most ${LIMITS.attachmentBytes} bytes`,
  );

/** An image sent with a message. */
export const ChatAttachment = z.object({
  name: z.string().trim().min(1).max(LIMITS.attachmentNameChars),
  mediaType: ImageMediaType,
  data: ImageBytes,
});
export type ChatAttachment = z.infer<typeof ChatAttachment>;

/** A stored image, as events name it: its bytes are at `GET /api/attachments/<id>` (decision 050). */
export const AttachmentInfo = z.object({
  id: z.uuid(),
  name: z.string(),
  mediaType: ImageMediaType,
  size: z.number().int().positive(),
});
export type AttachmentInfo = z.infer<typeof AttachmentInfo>;

/** A command the agent offers in a session (the Agent SDK's `supportedCommands()`), without its slash. */
export const SlashCommand = z.object({
  name: z.string().max(LIMITS.titleChars),
  description: z.string(),
  /** e.g. `<file>`; empty when it takes none. */
  argumentHint: z.string(),
  aliases: z.array(z.string()).optional(),
  /** Claude Code's own; false for the project's `.claude/commands`, skills, plugins and MCP prompts. */
  builtin: z.boolean(),
});
export type SlashCommand = z.infer<typeof SlashCommand>;

// ---------------------------------------------------------------------------
// Client → server payloads
// ---------------------------------------------------------------------------

export const ChatSend = z
  .object({
    message: z.string().trim().max(LIMITS.messageChars),
    sessionId: SessionId,
    requestId: RequestId,
    /** Images, sent to the agent as image content blocks; any problem with them is INVALID_ATTACHMENT. */
    attachments: z.array(ChatAttachment).max(LIMITS.attachments).optional(),
  })
  .refine((send) => send.message.length > 0 || (send.attachments?.length ?? 0) > 0, {
    message: "message is empty",
    path: ["message"],
  });
/** The commands the agent offers in a session, for the composer's `/` suggestions. */
export const CommandsListRequest = z.object({ sessionId: SessionId, requestId: RequestId });
export const ChatCancel = z.object({
  sessionId: SessionId,
  /** The `requestId` of the `chat:send` to stop (running) or drop (queued). */
  targetRequestId: RequestId,
  requestId: RequestId,
});
export const SessionListRequest = z.object({ requestId: RequestId });
export const SessionCreate = z.object({
  model: ModelName.optional(),
  title: z.string().trim().max(LIMITS.titleChars).optional(),
  /** Relative to the first allowed root, or absolute inside an allowed root (a project's `path`). */
  cwd: z.string().max(LIMITS.pathChars).optional(),
  permissionMode: PermissionMode.exclude(["bypassPermissions"]).optional(),
  /** The machine to create it on (default `"local"`); `cwd` is then a folder on that machine. */
  machineId: MachineId.optional(),
  requestId: RequestId,
});
export const SessionUpdate = z
  .object({
    sessionId: SessionId,
    title: z.string().trim().min(1).max(LIMITS.titleChars).optional(),
    model: ModelName.optional(),
    permissionMode: PermissionMode.optional(),
    /** Must be true to switch to `bypassPermissions`: the client asked the user first. */
    confirmBypass: z.boolean().optional(),
    pinned: z.boolean().optional(),
    archived: z.boolean().optional(),
    requestId: RequestId,
  })
  .refine((u) => u.permissionMode !== "bypassPermissions" || u.confirmBypass === true, {
    message: "bypassPermissions needs confirmBypass: true",
    path: ["confirmBypass"],
  });
export const SessionDelete = z.object({ sessionId: SessionId, requestId: RequestId });
/** Sessions whose title or messages contain `query` (case-insensitive for ASCII letters). */
export const SessionSearch = z.object({
  query: z.string().trim().min(1, "query is empty").max(LIMITS.searchChars),
  requestId: RequestId,
});
/** The machine a project request goes to (default `"local"`, this server): its folders are that machine's. */
const OnMachine = { machineId: MachineId.optional() };
export const PermissionDecision = z.enum(["allow", "deny", "allow_always"]);
export type PermissionDecision = z.infer<typeof PermissionDecision>;
/** AskUserQuestion's answers: question text → chosen label(s), comma-separated for multi-select. */
export const PermissionAnswers = z.record(z.string().max(1_000), z.string().max(2_000));
/**
 * What "Always allow" remembers (decision 034): this exact command, commands starting with a prefix,
 * every use of the tool (every edit tool, for an edit), or edits under a folder.
 */
export const AllowScope = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("command") }),
  z.object({ kind: z.literal("prefix"), prefix: z.string().trim().min(1).max(LIMITS.pathChars) }),
  z.object({ kind: z.literal("tool") }),
  z.object({ kind: z.literal("folder"), path: z.string().min(1).max(LIMITS.pathChars) }),
]);
/** A rule "Always allow" added to a session; the server answers matching requests itself until it is revoked. */
export const AllowRule = z.object({
  id: z.uuid(),
  /** The tool it allows; `Edit` stands for every edit tool (Edit, MultiEdit, Write, NotebookEdit). */
  toolName: z.string().max(LIMITS.titleChars),
  kind: z.enum(["command", "prefix", "tool", "folder"]),
  /** The command, the prefix or the folder; absent for `tool`. */
  content: z.string().max(LIMITS.messageChars).optional(),
  createdAt: z.iso.datetime(),
});
export const PermissionRespond = z
  .object({
    sessionId: SessionId,
    permissionId: z.uuid(),
    decision: PermissionDecision,
    /** Deny: the reason the agent is told. */
    message: z
      .string()
      .max(LIMITS.titleChars * 10)
      .optional(),
    /** AskUserQuestion: question text → chosen label(s), comma-separated for multi-select. */
    answers: PermissionAnswers.optional(),
    /** `allow_always`: what to remember; omitted, the narrowest scope the request offers. */
    scope: AllowScope.optional(),
    requestId: RequestId,
  })
  .refine((r) => r.scope === undefined || r.decision === "allow_always", {
    message: "scope is only accepted with allow_always",
    path: ["scope"],
  });
export type AllowScope = z.infer<typeof AllowScope>;
export type AllowRule = z.infer<typeof AllowRule>;
/** The rules "Always allow" added to a session, oldest first. */
export const PermissionRulesRequest = z.object({ sessionId: SessionId, requestId: RequestId });
/** Forget a rule: the next matching request asks the user again. */
export const PermissionRevoke = z.object({ sessionId: SessionId, ruleId: z.uuid(), requestId: RequestId });
export const SessionSubscribe = z.object({
  sessionId: SessionId,
  /** Replay every event with `seq > afterSeq`; omitted: only the recent tail. */
  afterSeq: Seq.optional(),
  requestId: RequestId,
});
/** Stop watching a session (its turns you sent still report their outcome to you). */
export const SessionUnsubscribe = z.object({ sessionId: SessionId, requestId: RequestId });
/** Continue one of Claude Code's own sessions (from `project:sessions`) as a Pocket Agent session. */
export const SessionImport = z.object({
  claudeSessionId: ClaudeSessionId,
  /** The project it was listed in. */
  path: z.string().min(1).max(LIMITS.pathChars),
  /** The machine whose Claude Code session it is (default `"local"`); it becomes that machine's session. */
  ...OnMachine,
  requestId: RequestId,
});
export const ProjectListRequest = z.object({ ...OnMachine, requestId: RequestId });
/** The session folder's uncommitted changes (working tree and untracked files against `HEAD`). */
export const ChangesGet = z.object({ sessionId: SessionId, requestId: RequestId });
/** One file of the session's folder, read-only. */
export const FileRead = z.object({
  sessionId: SessionId,
  /** Relative to the session's folder (or absolute inside it). */
  path: z.string().min(1).max(LIMITS.pathChars),
  requestId: RequestId,
});
export const ProjectSessionsRequest = z.object({
  path: z.string().min(1).max(LIMITS.pathChars),
  limit: z.number().int().min(1).max(LIMITS.projectSessionsPage).optional(),
  offset: z.number().int().nonnegative().optional(),
  ...OnMachine,
  requestId: RequestId,
});
export const SessionHistoryRequest = z.object({
  sessionId: SessionId,
  /** Return events with `seq < beforeSeq`, newest page first. */
  beforeSeq: Seq,
  limit: z.number().int().min(1).max(LIMITS.historyPage).optional(),
  requestId: RequestId,
});

/** The kinds of event a device can be notified of (its notification settings). */
export const PushEventKind = z.enum(PUSH_EVENT_KINDS);
export type PushEventKind = z.infer<typeof PushEventKind>;

/** A browser's `PushSubscription.toJSON()`: where to send, and the keys to encrypt for (RFC 8291). */
export const PushSubscriptionJson = z.object({
  /** Checked by the server: `https:`, or `http:` on a loopback address (else PUSH_ENDPOINT_REFUSED). */
  endpoint: z.string().min(1).max(LIMITS.pushEndpointChars),
  expirationTime: z.number().nonnegative().nullable().optional(),
  keys: z.object({
    /** The browser's P-256 public key, uncompressed (65 bytes), base64url. */
    p256dh: z.string().regex(/^B[A-Za-z0-9_-]{86}=?$/, "expected an uncompressed P-256 key, base64url"),
    /** The 16-byte authentication secret, base64url. */
    auth: z.string().regex(/^[A-Za-z0-9_-]{22}(==)?$/, "expected 16 bytes, base64url"),
  }),
});
/** Turns notifications on for this device, or updates it (same endpoint: same device). */
export const PushSubscribe = z.object({
  subscription: PushSubscriptionJson,
  deviceName: z.string().trim().min(1).max(LIMITS.deviceNameChars).optional(),
  /** Which events notify this device; omitted: all of them. */
  events: z.array(PushEventKind).max(PUSH_EVENT_KINDS.length).optional(),
  requestId: RequestId,
});
export const PushUnsubscribe = z.object({
  endpoint: z.string().min(1).max(LIMITS.pushEndpointChars),
  requestId: RequestId,
});
/** Sends a test notification to the devices this socket subscribed. */
export const PushTest = z.object({ requestId: RequestId });
/**
 * Whether this client is on screen, and which session it shows. A session watched by a visible
 * client makes no notification (the user is already looking). No reply.
 */
export const PresenceUpdate = z.object({
  visible: z.boolean(),
  sessionId: SessionId.optional(),
  requestId: RequestId,
});

export const MachineListRequest = z.object({ requestId: RequestId });
/** Links another Pocket Agent server by its URL and token (or its pairing URL, split by the client). */
export const MachineAdd = z.object({
  name: z.string().trim().min(1).max(LIMITS.machineNameChars).optional(),
  url: z.string().trim().min(1).max(LIMITS.machineUrlChars),
  token: z.string().min(1).max(LIMITS.machineTokenChars),
  requestId: RequestId,
});
export const MachineRemove = z.object({ machineId: MachineId, requestId: RequestId });
/** Accepts the certificate a machine now presents (after MACHINE_CERT_CHANGED): the user confirmed it. */
export const MachineTrust = z.object({ machineId: z.uuid(), fingerprint: Fingerprint, requestId: RequestId });
/** Checks that the link is alive (home → remote, every 2 s); answered by `machine:pong`. */
export const MachinePing = z.object({ requestId: RequestId });

// ---------------------------------------------------------------------------
// Server → client payloads
// ---------------------------------------------------------------------------

const ErrorPayload = z.object({
  message: z.string(),
  code: ErrorCode,
  /** The request's id; a nil UUID when the request carried none we could read. */
  requestId: z.string(),
  sessionId: SessionId.optional(),
});

/** Every event about a session carries `seq`: per session, strictly increasing, stored before it is sent. */
const SessionEventBase = z.object({ sessionId: SessionId, seq: Seq });

export const ChatQueued = SessionEventBase.extend({
  requestId: RequestId,
  message: z.string(),
  /** The images sent with it (their bytes by URL, so replay and history stay small). */
  attachments: z.array(AttachmentInfo).optional(),
  at: z.iso.datetime(),
  /**
   * Why it does not start at once: another turn of this session runs first (`turn`), or every
   * agent process the server allows is busy (`agent`, see POCKET_MAX_AGENTS). Absent: it starts now.
   */
  waitingFor: z.enum(["turn", "agent"]).optional(),
});
export const ChatStarted = SessionEventBase.extend({ requestId: RequestId, at: z.iso.datetime() });
export const ChatDelta = SessionEventBase.extend({ requestId: RequestId, text: z.string() });
export const Log = SessionEventBase.extend({
  requestId: RequestId,
  /**
   * One agent (SDK) message, serialised as JSON text, with a `timestamp` (ISO, when the server got
   * it) unless the message carries its own, as a desk transcript's lines do.
   */
  data: z.string(),
});
export const ChatResponse = SessionEventBase.extend({
  response: z.string(),
  /** This turn's logs, the same `data` strings as its `log` events. */
  logs: z.array(z.string()),
  requestId: RequestId,
  durationMs: z.number().nonnegative(),
  costUsd: z.number().nonnegative().optional(),
  usage: TurnUsage.optional(),
});
export const FileChangeStatus = z.enum(["added", "modified", "deleted", "renamed", "untracked"]);
export type FileChangeStatus = z.infer<typeof FileChangeStatus>;
/** One file a turn changed. */
export const TurnChangedFile = z.object({
  /** Relative to the session's folder (absolute when outside it). */
  path: z.string(),
  status: FileChangeStatus,
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  /** What the turn did to it, as a unified diff (absent for a binary file). */
  diff: z.string().optional(),
  /** The diff was cut at LIMITS.fileDiffChars. */
  truncated: z.boolean().optional(),
  binary: z.boolean().optional(),
});
export type TurnChangedFile = z.infer<typeof TurnChangedFile>;
/**
 * The files a turn changed: its Edit/Write/MultiEdit/NotebookEdit tool uses, and (in a git work
 * tree) what else `git status` shows changed between the turn's start and end. Sent after the
 * turn's last tool use, before its `chat:response` / `chat:error`; only when something changed.
 */
export const TurnChanges = SessionEventBase.extend({
  requestId: RequestId,
  files: z.array(TurnChangedFile),
});
/**
 * Something the user should know about a turn that is neither output nor failure.
 * `context_lost`: the agent's earlier conversation could not be found (no transcript, no mirror),
 * so this turn runs in a new conversation that does not remember the earlier turns.
 * `compacted`: the conversation was summarised (`/compact`, or automatically when it grew too long).
 * `cleared`: `/clear` started a new conversation; the agent no longer sees the turns above.
 */
export const ChatNotice = SessionEventBase.extend({
  requestId: RequestId,
  kind: z.enum(["context_lost", "compacted", "cleared"]),
  message: z.string(),
});
/** The agent wants to use a tool that needs the user's approval. */
export const PermissionRequest = SessionEventBase.extend({
  /** The turn's requestId. */
  requestId: RequestId,
  permissionId: z.uuid(),
  toolName: z.string(),
  input: z.record(z.string(), z.unknown()),
  /**
   * The tool call asked about: its `tool_use` block's id in the turn's logs. A step denied (or
   * cancelled) never ran, and the client says so on that step. Absent in events stored before it.
   */
  toolUseId: z.string().optional(),
  /** Claude Code's own sentence for the ask, e.g. "Claude wants to edit foo.ts". */
  title: z.string().optional(),
  description: z.string().optional(),
  decisionReason: z.string().optional(),
  blockedPath: z.string().optional(),
  /** The permission rules `allow_always` would add for the rest of the session. */
  suggestions: z.array(z.unknown()),
});
export const PermissionResolved = SessionEventBase.extend({
  requestId: RequestId,
  permissionId: z.uuid(),
  decision: z.enum(["allow", "deny", "allow_always", "cancelled"]),
  message: z.string().optional(),
  /** AskUserQuestion answered: what was chosen, so every device shows the same answer. */
  answers: PermissionAnswers.optional(),
  /** `allow_always`: the rule it added. */
  rule: AllowRule.optional(),
});
/** Turn failures carry `sessionId` and `seq`; rejected requests carry neither `seq` nor always `sessionId`. */
export const ChatError = ErrorPayload.extend({
  seq: Seq.optional(),
  /** API_RATE_LIMITED / API_USAGE_LIMIT: when the limit resets, if the API said. */
  resetsAt: z.iso.datetime().optional(),
});
export const SessionError = ErrorPayload;

export const Connection = z.object({
  status: z.literal("connected"),
  sessions: z.array(Session),
  serverVersion: z.string(),
  /** Web Push: the server's VAPID public key (base64url), the `applicationServerKey` to subscribe with. */
  push: z.object({ vapidPublicKey: z.string() }),
  /** This server (`local`) and the machines it links; absent on a link's own connection. */
  machines: z.array(Machine).optional(),
  /** This server's host name: the default name a home gives it when linking it. */
  machineName: z.string().optional(),
});
export const SessionList = z.object({ sessions: z.array(Session), requestId: RequestId });
export const SessionCreated = Session.extend({ requestId: RequestId });
export const SessionUpdated = z.object({ session: Session, requestId: RequestId.optional() });
export const SessionDeleted = z.object({ sessionId: SessionId, requestId: RequestId.optional() });
export const SessionFound = z.object({
  query: z.string(),
  requestId: RequestId,
  /** Best first: title matches, then the most recent message matches; one per session. */
  results: z.array(
    z.object({
      sessionId: SessionId,
      /** Where it matched, as one line of plain text around the match (absent for a title match). */
      snippet: z.string().optional(),
      /** The machine the session runs on (`"local"`, or a linked machine's id, found in this server's mirror). */
      machineId: MachineId.optional(),
    }),
  ),
});
export const PermissionError = ErrorPayload;
export const PermissionRules = z.object({ sessionId: SessionId, rules: z.array(AllowRule), requestId: RequestId });
/** To the requester and every device watching the session. */
export const PermissionRevoked = z.object({ sessionId: SessionId, ruleId: z.uuid(), requestId: RequestId });
export const ProjectError = ErrorPayload;
export const ProjectList = z.object({ projects: z.array(Project), requestId: RequestId });
export const ProjectSessions = z.object({
  path: z.string(),
  /** Newest first. */
  sessions: z.array(ClaudeSession),
  /** More sessions after this page (ask again with `offset`). */
  hasMore: z.boolean(),
  requestId: RequestId,
});
export const SessionUnsubscribed = z.object({ sessionId: SessionId, requestId: RequestId });
export const SessionSubscribed = z.object({
  sessionId: SessionId,
  requestId: RequestId,
  /** The first seq replayed (events before it can be fetched with `session:history`). */
  fromSeq: Seq,
  lastSeq: Seq,
});
export const PushSubscribed = z.object({ deviceId: z.uuid(), requestId: RequestId });
export const PushUnsubscribed = z.object({ requestId: RequestId });
/** `sent`: how many of the caller's devices the push service accepted the test for. */
export const PushTested = z.object({ sent: z.number().int().nonnegative(), requestId: RequestId });
export const PushError = ErrorPayload;
export const CommandsResult = z.object({
  sessionId: SessionId,
  requestId: RequestId,
  /** Built-in ones first, then the project's, each group by name. */
  commands: z.array(SlashCommand).max(LIMITS.commands),
});
export const CommandsError = ErrorPayload;
/** One changed file of the session's folder, against `HEAD`. */
export const ChangedFile = z.object({
  path: z.string(),
  /** A rename's old path. */
  oldPath: z.string().optional(),
  status: FileChangeStatus,
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  /** `git diff`'s unified diff; empty for a binary file. */
  diff: z.string(),
  /** The diff was cut at LIMITS.fileDiffChars. */
  truncated: z.boolean(),
  binary: z.boolean().optional(),
});
export type ChangedFile = z.infer<typeof ChangedFile>;
export const ChangesResult = z.object({
  sessionId: SessionId,
  requestId: RequestId,
  /** False: the folder is not in a git work tree, and `files` are those the agent edited in this session. */
  isGit: z.boolean(),
  branch: z.string().optional(),
  files: z.array(ChangedFile),
  /** More files changed than LIMITS.changedFiles; the rest are left out. */
  more: z.boolean().optional(),
});
export const ChangesError = ErrorPayload;
export const FileContent = z.object({
  sessionId: SessionId,
  /** As asked for. */
  path: z.string(),
  content: z.string(),
  /** The file is longer than LIMITS.fileViewBytes: `content` is its beginning. */
  truncated: z.boolean(),
  /** Its size in bytes. */
  size: z.number().int().nonnegative(),
  requestId: RequestId,
});
export const FileError = ErrorPayload;
export const MachineList = z.object({ machines: z.array(Machine), requestId: RequestId });
export const MachineAdded = z.object({ machine: Machine, requestId: RequestId });
export const MachineRemoved = z.object({ machineId: MachineId, requestId: RequestId });
/** To everyone but links: a machine's status (or name, or pinned certificate) changed; `requestId` to the `machine:trust` that caused it. */
export const MachineUpdated = z.object({ machine: Machine, requestId: RequestId.optional() });
export const MachinePong = z.object({ requestId: RequestId });
export const MachineError = ErrorPayload.extend({
  machineId: MachineId.optional(),
  /** MACHINE_CERT_CHANGED: the certificate the machine presented, to confirm with `machine:trust`. */
  fingerprint: Fingerprint.optional(),
});

// ---------------------------------------------------------------------------
// Event registries: the one place event names are written down
// ---------------------------------------------------------------------------

export const clientEvents = {
  "chat:send": ChatSend,
  "chat:cancel": ChatCancel,
  "session:list": SessionListRequest,
  "session:create": SessionCreate,
  "session:subscribe": SessionSubscribe,
  "session:unsubscribe": SessionUnsubscribe,
  "session:history": SessionHistoryRequest,
  "session:update": SessionUpdate,
  "session:delete": SessionDelete,
  "session:search": SessionSearch,
  "permission:respond": PermissionRespond,
  "permission:rules": PermissionRulesRequest,
  "permission:revoke": PermissionRevoke,
  "session:import": SessionImport,
  "project:list": ProjectListRequest,
  "project:sessions": ProjectSessionsRequest,
  "changes:get": ChangesGet,
  "file:read": FileRead,
  "push:subscribe": PushSubscribe,
  "push:unsubscribe": PushUnsubscribe,
  "push:test": PushTest,
  "presence:update": PresenceUpdate,
  "commands:list": CommandsListRequest,
  "machine:list": MachineListRequest,
  "machine:add": MachineAdd,
  "machine:remove": MachineRemove,
  "machine:trust": MachineTrust,
  "machine:ping": MachinePing,
} as const;

/** Events stored in a session's numbered log and replayed on subscribe. */
export const sessionEvents = {
  "chat:queued": ChatQueued,
  "chat:started": ChatStarted,
  "chat:delta": ChatDelta,
  log: Log,
  "chat:response": ChatResponse,
  "chat:error": ChatError,
  "chat:notice": ChatNotice,
  "permission:request": PermissionRequest,
  "permission:resolved": PermissionResolved,
  "turn:changes": TurnChanges,
} as const;

export const SessionEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("chat:queued"), payload: ChatQueued }),
  z.object({ type: z.literal("chat:started"), payload: ChatStarted }),
  z.object({ type: z.literal("chat:delta"), payload: ChatDelta }),
  z.object({ type: z.literal("log"), payload: Log }),
  z.object({ type: z.literal("chat:response"), payload: ChatResponse }),
  z.object({ type: z.literal("chat:error"), payload: ChatError.extend({ sessionId: SessionId, seq: Seq }) }),
  z.object({ type: z.literal("chat:notice"), payload: ChatNotice }),
  z.object({ type: z.literal("permission:request"), payload: PermissionRequest }),
  z.object({ type: z.literal("permission:resolved"), payload: PermissionResolved }),
  z.object({ type: z.literal("turn:changes"), payload: TurnChanges }),
]);
export type SessionEvent = z.infer<typeof SessionEvent>;
export type SessionEventType = SessionEvent["type"];

export const SessionHistory = z.object({
  sessionId: SessionId,
  requestId: RequestId,
  events: z.array(SessionEvent),
  /** True when events older than the first one returned exist. */
  hasMore: z.boolean(),
});

export const serverEvents = {
  ...sessionEvents,
  connection: Connection,
  "session:list": SessionList,
  "session:created": SessionCreated,
  "session:updated": SessionUpdated,
  "session:deleted": SessionDeleted,
  "session:found": SessionFound,
  "session:subscribed": SessionSubscribed,
  "session:unsubscribed": SessionUnsubscribed,
  "session:history": SessionHistory,
  "session:error": SessionError,
  "permission:error": PermissionError,
  "permission:rules": PermissionRules,
  "permission:revoked": PermissionRevoked,
  "project:list": ProjectList,
  "project:sessions": ProjectSessions,
  "project:error": ProjectError,
  "push:subscribed": PushSubscribed,
  "push:unsubscribed": PushUnsubscribed,
  "push:tested": PushTested,
  "push:error": PushError,
  "commands:result": CommandsResult,
  "commands:error": CommandsError,
  "changes:result": ChangesResult,
  "changes:error": ChangesError,
  "file:content": FileContent,
  "file:error": FileError,
  "machine:list": MachineList,
  "machine:added": MachineAdded,
  "machine:removed": MachineRemoved,
  "machine:updated": MachineUpdated,
  "machine:pong": MachinePong,
  "machine:error": MachineError,
} as const;

// ---------------------------------------------------------------------------
// Web Push: the notification payload and the REST endpoints (docs/protocol.md, "Web Push")
// ---------------------------------------------------------------------------

/** One tap on a permission notification: `POST /api/push/action`. */
export const PushActionRequest = z.object({
  permissionId: z.uuid(),
  decision: z.enum(["allow", "deny"]),
  /** The one-time token the notification carried. */
  actionToken: z.string().min(1).max(200),
});
/** 200 from `POST /api/push/action`: the permission was answered (as `permission:respond` would). */
export const PushActionResult = z.object({
  permissionId: z.uuid(),
  sessionId: SessionId,
  decision: z.enum(["allow", "deny"]),
});
/** `GET /api/push/status`. */
export const PushStatus = z.object({
  vapidPublicKey: z.string(),
  /** Devices with notifications on. */
  devices: z.number().int().nonnegative(),
});

const NotificationBase = z.object({
  sessionId: SessionId,
  title: z.string(),
  body: z.string(),
  /** Where a tap opens the app: `/?session=<id>` (and `&permission=<id>`), same origin. */
  url: z.string(),
  /** Collapses a session's notifications: a newer one replaces an older one. */
  tag: z.string(),
  /** Approvals waiting across all sessions when it was sent (the app icon's badge). */
  badge: z.number().int().nonnegative(),
});
/** The JSON a push message carries (encrypted for the device, RFC 8291). */
export const PushNotification = z.discriminatedUnion("type", [
  NotificationBase.extend({
    type: z.literal("permission"),
    permissionId: z.uuid(),
    toolName: z.string(),
    /** What the tool would do, in one line (a command, a file path). */
    summary: z.string(),
    actions: z.array(z.object({ action: z.enum(["allow", "deny"]), title: z.string() })),
    /** One use, this permission only, 15 minutes: `POST /api/push/action`. */
    actionToken: z.string(),
  }),
  NotificationBase.extend({ type: z.literal("question"), permissionId: z.uuid() }),
  NotificationBase.extend({ type: z.literal("done") }),
  NotificationBase.extend({ type: z.literal("error"), code: ErrorCode }),
  NotificationBase.omit({ sessionId: true }).extend({ type: z.literal("test") }),
]);
export type PushNotification = z.infer<typeof PushNotification>;
export type PushActionRequest = z.infer<typeof PushActionRequest>;
export type PushActionResult = z.infer<typeof PushActionResult>;
export type PushStatus = z.infer<typeof PushStatus>;
export type PushSubscriptionJson = z.infer<typeof PushSubscriptionJson>;

// ---------------------------------------------------------------------------
// Derived types
// ---------------------------------------------------------------------------

type Registry = Record<string, z.ZodType>;
type EventMap<R extends Registry> = { [K in keyof R]: (payload: z.infer<R[K]>) => void };

export type ClientEventName = keyof typeof clientEvents;
export type ServerEventName = keyof typeof serverEvents;
export type ClientPayload<K extends ClientEventName> = z.infer<(typeof clientEvents)[K]>;
export type ServerPayload<K extends ServerEventName> = z.infer<(typeof serverEvents)[K]>;

/** For `new Server<ClientToServerEvents, ServerToClientEvents>()` and the client's `Socket<ServerToClientEvents, ClientToServerEvents>`. */
export type ClientToServerEvents = EventMap<typeof clientEvents>;
export type ServerToClientEvents = EventMap<typeof serverEvents>;

/** The seed's discriminated unions: `{ type, payload }` for every message. */
export type ClientMessage = { [K in ClientEventName]: { type: K; payload: ClientPayload<K> } }[ClientEventName];
export type ServerMessage = { [K in ServerEventName]: { type: K; payload: ServerPayload<K> } }[ServerEventName];

export type ChatSend = z.infer<typeof ChatSend>;
export type ChatQueued = z.infer<typeof ChatQueued>;
export type ChatResponse = z.infer<typeof ChatResponse>;
export type ChatError = z.infer<typeof ChatError>;
export type SessionError = z.infer<typeof SessionError>;
export type PermissionRequest = z.infer<typeof PermissionRequest>;
export type PermissionResolved = z.infer<typeof PermissionResolved>;
export type TurnChanges = z.infer<typeof TurnChanges>;
export type ChangesResult = z.infer<typeof ChangesResult>;
export type FileContent = z.infer<typeof FileContent>;

// ---------------------------------------------------------------------------
// Helpers shared by both sides
// ---------------------------------------------------------------------------

export function isClientEventName(name: string): name is ClientEventName {
  return Object.hasOwn(clientEvents, name);
}

/** The request's `requestId` if it has a readable one, even when the rest of the payload is invalid. */
export function requestIdOf(payload: unknown): string {
  if (typeof payload === "object" && payload !== null && "requestId" in payload) {
    const parsed = RequestId.safeParse((payload as { requestId: unknown }).requestId);
    if (parsed.success) return parsed.data;
  }
  return NIL_REQUEST_ID;
}

/** The code for a payload that failed validation: INVALID_ATTACHMENT when the problem is in its images. */
export function invalidPayloadCode(error: z.ZodError): "INVALID_ATTACHMENT" | "INVALID_PAYLOAD" {
  return error.issues.some((issue) => issue.path[0] === "attachments") ? "INVALID_ATTACHMENT" : "INVALID_PAYLOAD";
}

/** A short, human summary of a Zod failure: `field: problem; field: problem`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "payload"}: ${issue.message}`)
    .join("; ");
}
