/**
 * A Claude Code session's conversation (as the Agent SDK's `getSessionMessages()` returns it) as
 * Pocket Agent turns: each prompt typed at the desk opens a turn; the assistant's messages and the
 * tool results that follow are its logs (the same SDK message JSON a live turn logs, so the phone
 * shows its tool steps the same way), and the last assistant text is its response.
 *
 * Pure: no file is read here. The transcript is Claude Code's to parse (through the SDK).
 */

/** The fields of the SDK's `SessionMessage` this module reads (its other fields are kept in the logs). */
export interface TranscriptMessage {
  type: "user" | "assistant" | "system";
  uuid: string;
  session_id: string;
  message: unknown;
  parent_tool_use_id: string | null;
  /** Not in the SDK's typings, but present on every message read back from a transcript. */
  timestamp?: unknown;
}

export interface ImportedTurn {
  message: string;
  /** When the prompt was typed (ISO), or the import's own time when the transcript does not say. */
  at: string;
  /** The turn's agent messages as JSON text, in order. */
  logs: string[];
  /** The last thing the assistant wrote in the turn ("" if it wrote nothing: an interrupted turn). */
  response: string;
  /** From the prompt to the last message of the turn, when both carry a time. */
  durationMs: number;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function blocksOf(message: unknown): unknown[] {
  if (!isObject(message)) return [];
  const content = message.content;
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content : [];
}

const textOf = (blocks: unknown[]): string =>
  blocks
    .filter((b): b is Json => isObject(b) && b.type === "text" && typeof b.text === "string")
    .map((b) => b.text as string)
    .join("\n")
    .trim();

/** Lines Claude Code writes into the transcript as user messages that nobody typed. */
const NOT_TYPED = /^(\[Request interrupted by user[^\]]*\]|<local-command-(stdout|stderr)>|<system-reminder>)/;

/**
 * What the person typed, or null when the user message is not a prompt: a tool result, a note the
 * CLI added (an interruption, a command's output). A slash command shows as it was typed.
 */
export function promptOf(message: TranscriptMessage): string | null {
  if (message.type !== "user" || message.parent_tool_use_id !== null) return null;
  const blocks = blocksOf(message.message);
  if (blocks.some((b) => isObject(b) && b.type === "tool_result")) return null;
  const text = textOf(blocks);
  const command = /<command-name>([^<]*)<\/command-name>/.exec(text)?.[1]?.trim();
  if (command) {
    const args = /<command-args>([^<]*)<\/command-args>/.exec(text)?.[1]?.trim();
    return args ? `${command} ${args}` : command;
  }
  if (NOT_TYPED.test(text)) return null;
  const images = blocks.filter((b) => isObject(b) && b.type === "image").length;
  const withImages = images > 0 ? `${text}${text ? "\n" : ""}${"[image]".repeat(images)}` : text;
  return withImages || null;
}

function timeOf(message: TranscriptMessage): number | null {
  if (typeof message.timestamp !== "string") return null;
  const ms = Date.parse(message.timestamp);
  return Number.isFinite(ms) ? ms : null;
}

/** The conversation as turns, oldest first. `now` stands in for times the transcript lacks. */
export function turnsFromTranscript(messages: readonly TranscriptMessage[], now = new Date()): ImportedTurn[] {
  const turns: ImportedTurn[] = [];
  let current: (ImportedTurn & { startMs: number | null; endMs: number | null }) | null = null;
  const close = () => {
    if (!current) return;
    const { startMs, endMs, ...turn } = current;
    turns.push({ ...turn, durationMs: startMs !== null && endMs !== null ? Math.max(0, endMs - startMs) : 0 });
    current = null;
  };

  for (const message of messages) {
    if (message.type === "system") continue;
    const time = timeOf(message);
    const prompt = message.parent_tool_use_id === null ? promptOf(message) : null;
    if (prompt !== null) {
      close();
      current = {
        message: prompt,
        at: new Date(time ?? now.getTime()).toISOString(),
        logs: [],
        response: "",
        durationMs: 0,
        startMs: time,
        endMs: time,
      };
      continue;
    }
    // Something before the first prompt (a conversation that starts with a compaction summary…).
    current ??= {
      message: "(earlier conversation)",
      at: new Date(time ?? now.getTime()).toISOString(),
      logs: [],
      response: "",
      durationMs: 0,
      startMs: time,
      endMs: time,
    };
    current.logs.push(JSON.stringify(message));
    if (time !== null) current.endMs = time;
    if (message.type === "assistant" && message.parent_tool_use_id === null) {
      const text = textOf(blocksOf(message.message));
      if (text) current.response = text;
    }
  }
  close();
  return turns;
}
