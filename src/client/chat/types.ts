/** The chat machine's input, context and events, and the requests it queues. */
import type { ErrorCode } from "../../shared/constants.ts";
import type {
  AllowScope,
  Machine,
  PermissionDecision,
  PermissionMode,
  ServerMessage,
  Session,
  SessionEvent,
} from "../../shared/messages.ts";
import type { ClientError } from "../connection/request.ts";
import type { ChatSocket } from "../connection/socket.ts";
import type { ConnectionInfo } from "../connection/status.ts";
import type { ConversationCache } from "../offline/savedConversations.ts";
import type { RestoreEvent } from "../offline/savedConversationsActor.ts";
import type { OutgoingImage, PendingSend, Turn } from "./turns.ts";

/** localStorage, or anything shaped like it. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  /** Enumeration, as localStorage has it; a store without it is never swept (forgetUnlinkedMachines). */
  readonly length?: number;
  key?(index: number): string | null;
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
  /** Open this session first (a tapped notification's `?session=`) instead of the last one used. */
  initialSessionId?: string | null;
  /** Defaults to the page's window/document when there is one. */
  environment?: BrowserEnvironment | null;
  /** How long a request waits for its reply (default 15 s). */
  requestTimeoutMs?: number;
  /** How long to wait before retrying after the server closed the connection itself (default 4 s). */
  retryDelayMs?: number;
  /** Events per "load earlier" page. */
  historyPageSize?: number;
  /** Where recent conversations are kept on the device (decision 023); none: nothing is kept. */
  savedConversations?: ConversationCache | null;
  /** The least time between two writes of the saved conversation. */
  saveDelayMs?: number;
  /** How long subscribing waits for the saved copy before asking the server for the whole tail. */
  restoreWaitMs?: number;
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
  /** Always allow: what to remember. */
  scope?: AllowScope;
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
  pinned?: boolean;
  archived?: boolean;
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
  savedConversations: ConversationCache | null;
  saveDelayMs: number | undefined;
  restoreWaitMs: number;

  connection: ConnectionInfo;
  /** Set when the socket was already connected when we attached (the `connection` greeting was missed). */
  needsSessionList: boolean;
  sessions: Session[];
  /** The server itself (`local`) and the machines it links (decision 060); empty until connected. */
  machines: Machine[];
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
  /**
   * The session whose saved copy has been looked for (and shown, if there was one). Until it is the
   * current session, subscribing waits, so that it asks only for what came after the saved copy.
   */
  restoredFor: string | null;
  /** The conversation on screen is the device's saved copy: the server has not confirmed it since the app opened. */
  showingSaved: boolean;
}

export type ChatEvent =
  | { type: "SERVER"; message: ServerMessage }
  /** A subscription's replayed session events, applied in one step (see `socketEvents`). */
  | { type: "SERVER.REPLAY"; events: SessionEvent[] }
  /** The device's saved copy of a session (offline/savedConversationsActor.ts). */
  | RestoreEvent
  | { type: "SOCKET.CONNECTED"; missedGreeting: boolean }
  | { type: "SOCKET.DISCONNECTED"; reason: string; willReconnect: boolean }
  | { type: "SOCKET.CONNECT_ERROR"; message: string; code: ErrorCode | null; willRetry: boolean }
  | { type: "WAKE"; source: "visible" | "pageshow" | "online" }
  | { type: "NETWORK.OFFLINE" }
  | { type: "RECONNECT" }
  | { type: "SEND"; message: string; requestId?: string; attachments?: OutgoingImage[] }
  | { type: "RETRY"; requestId: string }
  | { type: "DISCARD"; requestId: string }
  | { type: "CANCEL"; targetRequestId: string }
  | { type: "SWITCH_SESSION"; sessionId: string }
  | {
      type: "NEW_SESSION";
      model?: string;
      title?: string;
      permissionMode?: CreatablePermissionMode;
      /** The project to work in (absolute); the server's first root when omitted. */
      cwd?: string;
      /** The machine to run it on (`local` when omitted). */
      machineId?: string;
    }
  /** Continue one of Claude Code's own sessions (listed by `project:sessions`) here. */
  /** `machineId`: the machine whose Claude Code session it is (absent or `local`: this server). */
  | { type: "IMPORT_SESSION"; claudeSessionId: string; path: string; machineId?: string }
  | ({ type: "RESPOND_PERMISSION" } & Omit<PermissionAnswer, "sessionId">)
  | { type: "UPDATE_SESSION"; sessionId: string; patch: SessionPatch }
  | { type: "DELETE_SESSION"; sessionId: string }
  | { type: "DISMISS_SESSION_ERROR" }
  | { type: "RESUBSCRIBE" }
  | { type: "LOAD_EARLIER" }
  | { type: "REFRESH_SESSIONS" }
  | { type: "DISMISS_NOTICE" };
