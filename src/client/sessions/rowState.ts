import type { Session } from "../../shared/messages.ts";

/** What a session's row says about it, in one line, and how loudly. */
export interface RowState {
  text: string;
  tone: "attention" | "running" | "error" | "unread" | "quiet";
}

export function rowState(session: Session, unread: boolean): RowState | null {
  if (session.pendingPermissions > 0) return { text: "Waiting for you", tone: "attention" };
  if (session.status === "running") {
    const queued = session.queued > 0 ? ` · ${session.queued} queued` : "";
    return { text: `${session.activity ? `${session.activity}…` : "Working…"}${queued}`, tone: "running" };
  }
  if (session.lastOutcome === "failed") return { text: "Last message failed", tone: "error" };
  if (unread) return { text: "New reply", tone: "unread" };
  if (session.lastOutcome === "stopped") return { text: "Stopped", tone: "quiet" };
  return null;
}

/** The newest message as the row shows it: yours prefixed, the agent's as is. */
export function lastLine(session: Session): string | null {
  const message = session.lastMessage;
  if (!message || message.text === "") return null;
  return message.from === "you" ? `You: ${message.text}` : message.text;
}
