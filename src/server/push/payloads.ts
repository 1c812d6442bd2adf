/**
 * Which session events make a notification, and what it says. Pure: the push service adds the
 * session's title, the badge count and (for a permission) the one-time action token.
 */
import type { PushEventKind, PushNotification, SessionEvent } from "../../shared/messages.ts";

/** The first characters of a reply shown in a "done" notification. */
export const REPLY_PREVIEW_CHARS = 140;
/** A one-line summary of a tool's input (a command, a path) is cut here. */
const SUMMARY_CHARS = 120;

/** What a notification-worthy event is, before it is addressed: null for every other event. */
export type Notable =
  | { kind: "permission"; permissionId: string; toolName: string; summary: string; ask: string }
  | { kind: "question"; permissionId: string; question: string }
  | { kind: "done"; reply: string }
  | { kind: "error"; code: Extract<SessionEvent, { type: "chat:error" }>["payload"]["code"]; message: string };

/**
 * `permission:request` (AskUserQuestion is a question), a turn's `chat:response` or `chat:error`.
 * Never a delta, a log, a queued or started turn; never a turn the user stopped themselves.
 */
export function notableOf(event: SessionEvent): Notable | null {
  switch (event.type) {
    case "permission:request": {
      const { permissionId, toolName, input } = event.payload;
      if (toolName === "AskUserQuestion") return { kind: "question", permissionId, question: firstQuestion(input) };
      return {
        kind: "permission",
        permissionId,
        toolName,
        summary: summarize(toolName, input),
        ask: event.payload.title ?? "",
      };
    }
    case "chat:response":
      return { kind: "done", reply: event.payload.response };
    case "chat:error":
      return event.payload.code === "CANCELLED"
        ? null
        : { kind: "error", code: event.payload.code, message: event.payload.message };
    default:
      return null;
  }
}

export interface Addressing {
  sessionId: string;
  sessionTitle: string;
  /** Approvals waiting across all sessions. */
  badge: number;
}

/** The payload of a notification, for every device that asked for its kind. */
export function buildNotification(
  notable: Notable,
  { sessionId, sessionTitle, badge }: Addressing,
  actionToken?: string,
): PushNotification {
  const base = { sessionId, tag: tagFor(sessionId), badge, url: `/?session=${sessionId}` };
  const where = oneLine(sessionTitle) || "Pocket Agent";
  switch (notable.kind) {
    case "permission":
      return {
        ...base,
        type: "permission",
        url: `${base.url}&permission=${notable.permissionId}`,
        title: `Approve ${notable.toolName}? · ${where}`,
        body: notable.summary || oneLine(notable.ask) || `${notable.toolName} needs your approval.`,
        permissionId: notable.permissionId,
        toolName: notable.toolName,
        summary: notable.summary,
        actions: [
          { action: "allow", title: "Allow" },
          { action: "deny", title: "Deny" },
        ],
        actionToken: actionToken ?? "",
      };
    case "question":
      return {
        ...base,
        type: "question",
        url: `${base.url}&permission=${notable.permissionId}`,
        title: `Question · ${where}`,
        body: notable.question || "The agent has a question for you.",
        permissionId: notable.permissionId,
      };
    case "done":
      return { ...base, type: "done", title: `Done · ${where}`, body: preview(notable.reply) || "Finished." };
    case "error":
      return {
        ...base,
        type: "error",
        title: `Failed · ${where}`,
        body: preview(notable.message) || "The message failed.",
        code: notable.code,
      };
  }
}

export function kindOf(notable: Notable): PushEventKind {
  return notable.kind;
}

/** The notification's tag: one per session, so a newer notification replaces the older one. */
export function tagFor(sessionId: string): string {
  return `session-${sessionId}`;
}

/** The push service's `Topic` (at most 32 base64url characters): the session id without dashes. */
export function topicFor(sessionId: string): string {
  return sessionId.replaceAll("-", "").slice(0, 32);
}

/** The first 140 characters of a text, on one line. */
export function preview(text: string): string {
  const line = oneLine(text);
  return line.length > REPLY_PREVIEW_CHARS ? `${line.slice(0, REPLY_PREVIEW_CHARS)}…` : line;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** What a tool would do, in one line: a command, a file path, a URL, else its input. */
export function summarize(toolName: string, input: Record<string, unknown>): string {
  const field = ["command", "file_path", "notebook_path", "path", "url", "pattern", "query", "description"].find(
    (key) => typeof input[key] === "string" && (input[key] as string).trim() !== "",
  );
  const text = field ? (input[field] as string) : toolName === "" ? "" : JSON.stringify(input);
  const line = oneLine(text);
  return line.length > SUMMARY_CHARS ? `${line.slice(0, SUMMARY_CHARS - 1)}…` : line;
}

function firstQuestion(input: Record<string, unknown>): string {
  const questions = input.questions;
  if (!Array.isArray(questions)) return "";
  const first: unknown = questions[0];
  if (typeof first !== "object" || first === null) return "";
  const text = (first as { question?: unknown }).question;
  return typeof text === "string" ? preview(text) : "";
}
