/**
 * Plain protocol constants, free of Zod, so the client can use them without
 * bundling the schemas (types come from messages.ts and cost nothing at run
 * time). messages.ts re-exports everything here.
 */

// ---------------------------------------------------------------------------
// Limits (bounded so a single payload cannot exhaust memory or storage)
// ---------------------------------------------------------------------------

export const LIMITS = {
  messageChars: 100_000,
  titleChars: 200,
  /** A session search's query. */
  searchChars: 200,
  pathChars: 4_096,
  modelChars: 100,
  historyPage: 500,
  /** Turns replayed on a subscribe that does not say where to start. */
  tailTurns: 10,
  /** Claude Code sessions per `project:sessions` page. */
  projectSessionsPage: 100,
  /** A push subscription's endpoint URL. */
  pushEndpointChars: 2_048,
  /** A device's name in the notification settings. */
  deviceNameChars: 60,
  /** Images per message (issue 19). */
  attachments: 5,
  /** One image's bytes, as uploaded: the Anthropic API's own limit per image. */
  attachmentBytes: 5 * 1024 * 1024,
  attachmentNameChars: 255,
  /**
   * The longest image edge worth sending: the API scales anything larger down to this before the
   * model sees it (and refuses more than 8000 px), so the device downscales first (decision 050).
   */
  imageEdgePx: 1568,
  /** Slash commands in one `commands:result`. */
  commands: 500,
  /** The file viewer reads at most this much of a file (more is cut off and marked `truncated`). */
  fileViewBytes: 1_048_576,
  /** One file's diff in `changes:result` or `turn:changes`; longer ones are cut and marked `truncated`. */
  fileDiffChars: 200_000,
  /** Files listed in one `changes:result` or `turn:changes`. */
  changedFiles: 500,
  /** A linked machine's name (issue 21). */
  machineNameChars: 60,
  /** A linked machine's URL. */
  machineUrlChars: 2_048,
  /** A linked machine's access token. */
  machineTokenChars: 1_024,
} as const;

/** The image types the agent accepts (the Anthropic API's own list). */
export const IMAGE_MEDIA_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
export type ImageMediaType = (typeof IMAGE_MEDIA_TYPES)[number];

/**
 * The image type the bytes say, from their magic numbers; null when they are none of the four.
 * The declared type of an upload is never trusted (both sides use this).
 */
export function sniffImageType(bytes: Uint8Array): ImageMediaType | null {
  const at = (i: number) => bytes[i];
  if (bytes.length >= 8 && at(0) === 0x89 && at(1) === 0x50 && at(2) === 0x4e && at(3) === 0x47) {
    return at(4) === 0x0d && at(5) === 0x0a && at(6) === 0x1a && at(7) === 0x0a ? "image/png" : null;
  }
  if (bytes.length >= 3 && at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return "image/jpeg";
  if (bytes.length >= 6) {
    const head = String.fromCharCode(...bytes.subarray(0, 6));
    if (head === "GIF87a" || head === "GIF89a") return "image/gif";
  }
  if (bytes.length >= 12) {
    const riff = String.fromCharCode(...bytes.subarray(0, 4));
    const webp = String.fromCharCode(...bytes.subarray(8, 12));
    if (riff === "RIFF" && webp === "WEBP") return "image/webp";
  }
  return null;
}

/** What can make a device's notification: the `type` of a push payload (`test` is the settings' test). */
export const PUSH_EVENT_KINDS = ["permission", "question", "done", "error"] as const;
export type PushEventKind = (typeof PUSH_EVENT_KINDS)[number];

// ---------------------------------------------------------------------------
// Error codes: a closed set. Every error the server or client reports uses one.
// ---------------------------------------------------------------------------

export const ERROR_CODES = [
  // request problems
  "INVALID_PAYLOAD",
  "UNKNOWN_EVENT",
  "SESSION_NOT_FOUND",
  "TURN_NOT_FOUND",
  "INVALID_WORKDIR",
  "PERMISSION_NOT_PENDING",
  "RULE_NOT_FOUND",
  "BYPASS_NOT_ALLOWED",
  "UNAUTHORIZED",
  "INVALID_ATTACHMENT",
  // slash commands
  "COMMANDS_UNAVAILABLE",
  // Web Push
  "PUSH_ENDPOINT_REFUSED",
  "PUSH_NOT_SUBSCRIBED",
  "ACTION_TOKEN_INVALID",
  "ACTION_TOKEN_USED",
  "ACTION_TOKEN_EXPIRED",
  "RATE_LIMITED",
  // changes and the file viewer
  "FILE_NOT_FOUND",
  "PATH_OUTSIDE_SESSION",
  "FILE_NOT_TEXT",
  // linked machines (issue 21, decision 060)
  "MACHINE_NOT_FOUND",
  "MACHINE_OFFLINE",
  "MACHINE_UNREACHABLE",
  "MACHINE_TOKEN_REFUSED",
  "MACHINE_CERT_CHANGED",
  "MACHINE_URL_REFUSED",
  "MACHINE_LINK_REFUSED",
  // HTTP only: a path or method the server does not serve
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  // turn outcomes
  "CANCELLED",
  "INTERRUPTED",
  "AGENT_CRASHED",
  "AGENT_NOT_LOGGED_IN",
  "AGENT_MAX_TURNS",
  "API_ERROR",
  "API_OVERLOADED",
  "API_AUTH_FAILED",
  "API_RATE_LIMITED",
  "API_USAGE_LIMIT",
  "API_TIMEOUT",
  "INTERNAL_ERROR",
  // raised by the client itself, never sent by the server
  "TIMEOUT",
  "DISCONNECTED",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What each code means to a person; the client shows this next to the error. */
export const errorCodeMeaning: Record<ErrorCode, string> = {
  INVALID_PAYLOAD: "The request was malformed and was not processed.",
  UNKNOWN_EVENT: "The server does not know this kind of request.",
  SESSION_NOT_FOUND: "This session no longer exists.",
  TURN_NOT_FOUND: "That message is not running or queued any more.",
  INVALID_WORKDIR: "The working directory is not allowed or does not exist.",
  PERMISSION_NOT_PENDING: "That request was already answered or is no longer waiting.",
  RULE_NOT_FOUND: "That rule was already revoked.",
  BYPASS_NOT_ALLOWED: "Skipping permission checks is not allowed on this server.",
  UNAUTHORIZED: "This device is not paired with the server.",
  INVALID_ATTACHMENT: "An attachment was refused: send at most 5 images (PNG, JPEG, GIF or WebP), each at most 5 MB.",
  COMMANDS_UNAVAILABLE: "The agent's commands could not be listed just now. Try again in a moment.",
  PUSH_ENDPOINT_REFUSED: "The push service address is not allowed (it must be https:, or http: on this machine).",
  PUSH_NOT_SUBSCRIBED: "This device has not turned notifications on.",
  ACTION_TOKEN_INVALID: "That notification's button does not belong to this request.",
  ACTION_TOKEN_USED: "That notification's button was already used.",
  ACTION_TOKEN_EXPIRED: "That notification is too old to answer from. Open the app instead.",
  RATE_LIMITED: "Too many attempts. Wait a minute and try again.",
  FILE_NOT_FOUND: "There is no such file in the session's folder.",
  PATH_OUTSIDE_SESSION: "Only files inside the session's folder can be opened.",
  FILE_NOT_TEXT: "This file is not text (an image or other binary file), so it cannot be shown here.",
  MACHINE_NOT_FOUND: "There is no such machine linked to this server.",
  MACHINE_OFFLINE: "That machine is offline. Its sessions are shown as they were; try again once it is back.",
  MACHINE_UNREACHABLE: "That machine could not be reached at this address.",
  MACHINE_TOKEN_REFUSED: "That machine refused the access token. Paste its current pairing link.",
  MACHINE_CERT_CHANGED:
    "That machine's certificate changed since it was added. Confirm the new one only if you changed it.",
  MACHINE_URL_REFUSED: "A machine's address must be https:, or http: on this computer.",
  MACHINE_LINK_REFUSED: "A linked server can only reach this machine's own sessions.",
  NOT_FOUND: "The server has no such endpoint.",
  METHOD_NOT_ALLOWED: "The endpoint does not take this HTTP method.",
  CANCELLED: "Stopped before it finished.",
  INTERRUPTED: "The server restarted while this was running.",
  AGENT_CRASHED: "The agent process stopped unexpectedly. Send again to resume.",
  AGENT_NOT_LOGGED_IN: "Claude Code is not logged in on the server: run `claude login` there or set ANTHROPIC_API_KEY.",
  AGENT_MAX_TURNS: "The agent reached its step limit for this message.",
  API_ERROR: "The Anthropic API returned an error.",
  API_OVERLOADED: "The Anthropic API is overloaded. Try again shortly.",
  API_AUTH_FAILED: "The Anthropic API rejected the server's credentials.",
  API_RATE_LIMITED: "The Anthropic API rate limit was reached.",
  API_USAGE_LIMIT: "The account's Claude usage limit was reached.",
  API_TIMEOUT: "The Anthropic API did not answer in time.",
  INTERNAL_ERROR: "Something went wrong on the server.",
  TIMEOUT: "The server did not answer in time.",
  DISCONNECTED: "Not connected to the server.",
};

/**
 * How long the app waits for `session:import`: it reads (and may fork) a whole desk conversation
 * before it answers, so it gets longer than other requests. A home forwarding one to a linked
 * machine waits almost as long (remoteHandlers), so the app hears the home's answer, not its own timeout.
 */
export const IMPORT_TIMEOUT_MS = 60_000;

/** Used as `requestId` on an error answering a request whose own id could not be read. */
export const NIL_REQUEST_ID = "00000000-0000-0000-0000-000000000000";

/**
 * The namespace's error event: `chat:*` on `chat:error`, `permission:*` on `permission:error`,
 * `project:*` on `project:error`, `commands:*` on `commands:error`, `push:*` and `presence:*` on
 * `push:error`, `changes:*` on `changes:error`, `file:*` on `file:error`, `machine:*` on
 * `machine:error`, the rest on `session:error`.
 */
export function errorEventFor(
  eventName: string,
):
  | "chat:error"
  | "permission:error"
  | "project:error"
  | "push:error"
  | "commands:error"
  | "changes:error"
  | "file:error"
  | "machine:error"
  | "session:error" {
  if (eventName.startsWith("chat:")) return "chat:error";
  if (eventName.startsWith("commands:")) return "commands:error";
  if (eventName.startsWith("changes:")) return "changes:error";
  if (eventName.startsWith("file:")) return "file:error";
  if (eventName.startsWith("machine:")) return "machine:error";
  if (eventName.startsWith("permission:")) return "permission:error";
  if (eventName.startsWith("project:")) return "project:error";
  if (eventName.startsWith("push:") || eventName.startsWith("presence:")) return "push:error";
  return "session:error";
}
