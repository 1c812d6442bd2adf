/**
 * What an approval card shows for a tool-permission request: pure functions
 * from the request (tool name + input, as Claude Code sent them) to a view
 * model. Only the card (its own lazy chunk) imports this file, and so jsdiff;
 * the resolved one-line result is in resolution.ts, which the conversation uses.
 */
import { shortPath, summarizeTool } from "../chat/activity.ts";
import type { TurnPermission } from "../chat/turns.ts";
import { type DiffLine, diffLines, linesOf } from "../ui/diff.ts";

export { type DiffLine, diffLines, linesOf };

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

export interface QuestionOption {
  label: string;
  description: string | null;
}

export interface Question {
  question: string;
  header: string | null;
  options: QuestionOption[];
  multiSelect: boolean;
}

export interface Field {
  key: string;
  value: string;
  /** Worth a block of its own (several lines, or long). */
  block: boolean;
}

export type ApprovalBody =
  | { kind: "bash"; command: string; description: string | null }
  | { kind: "edit"; path: string; hunks: DiffLine[][] }
  | { kind: "write"; path: string; lines: string[] }
  | { kind: "question"; questions: Question[] }
  | { kind: "fields"; fields: Field[] };

export interface ApprovalView {
  /** The card's heading (and its accessible name): the CLI's `title` when it sent one. */
  heading: string;
  /** One line for the turn and the resolution: "Bash touch a.txt". */
  summary: string;
  body: ApprovalBody;
  /** Why the CLI asks (decisionReason, blockedPath), when it said. */
  reason: string | null;
  /**
   * The CLI's description of the request, when it adds something: a command's own description is
   * in its body, and a description that only repeats an input (a Read's path) is left out.
   */
  note: string | null;
}

/** Lines of a text, without the empty last one a trailing newline makes. */
/** AskUserQuestion's `questions`, keeping only well-formed entries. */
export function parseQuestions(input: JsonObject): Question[] {
  const raw = Array.isArray(input.questions) ? input.questions : [];
  const questions: Question[] = [];
  for (const entry of raw) {
    if (!isObject(entry)) continue;
    const question = str(entry.question);
    if (!question) continue;
    const options: QuestionOption[] = [];
    for (const option of Array.isArray(entry.options) ? entry.options : []) {
      const label = isObject(option) ? str(option.label) : str(option);
      if (label) options.push({ label, description: isObject(option) ? (str(option.description) ?? null) : null });
    }
    questions.push({ question, header: str(entry.header) ?? null, options, multiSelect: entry.multiSelect === true });
  }
  return questions;
}

/** `{ [question]: label }`; a multi-select question's labels joined with ", " (in the options' order). */
export function answersFor(questions: readonly Question[], chosen: Readonly<Record<string, readonly string[]>>) {
  const answers: Record<string, string> = {};
  for (const q of questions) {
    const picked = chosen[q.question] ?? [];
    const ordered = q.options.map((o) => o.label).filter((label) => picked.includes(label));
    if (ordered.length) answers[q.question] = q.multiSelect ? ordered.join(", ") : (ordered[0] ?? "");
  }
  return answers;
}

/** Every question has at least one choice. */
export function allAnswered(questions: readonly Question[], chosen: Readonly<Record<string, readonly string[]>>) {
  return questions.length > 0 && questions.every((q) => (chosen[q.question]?.length ?? 0) > 0);
}

function fieldValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return String(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value, null, 2);
}

/** The tool's input as readable key/value pairs (nested values as indented JSON). */
export function fieldsOf(input: JsonObject, cwd?: string): Field[] {
  return Object.entries(input).map(([key, raw]) => {
    let value = fieldValue(raw);
    if (typeof raw === "string" && /(^|_)path$/.test(key)) value = shortPath(raw, cwd);
    return { key: key.replace(/_/g, " "), value, block: value.includes("\n") || value.length > 60 };
  });
}

function editHunks(input: JsonObject): DiffLine[][] {
  if (Array.isArray(input.edits)) {
    return input.edits
      .filter(isObject)
      .map((edit) => diffLines(str(edit.old_string) ?? "", str(edit.new_string) ?? ""));
  }
  return [diffLines(str(input.old_string) ?? "", str(input.new_string) ?? "")];
}

const FALLBACK_HEADINGS: Record<string, string> = {
  Bash: "Run a command",
  Edit: "Edit a file",
  MultiEdit: "Edit a file",
  Write: "Write a file",
  NotebookEdit: "Edit a notebook",
  WebFetch: "Fetch a web page",
  WebSearch: "Search the web",
  Read: "Read a file",
  Glob: "Find files",
  Grep: "Search the files",
  LS: "List a folder",
  AskUserQuestion: "Claude has a question",
  ExitPlanMode: "Approve the plan",
};

/** The card's content for a permission request. */
export function describeApproval(permission: TurnPermission, cwd?: string): ApprovalView {
  const { toolName, input } = permission;
  const tool = summarizeTool(toolName, input, { cwd, maxLength: 80 });
  const summary = `${tool.label} ${tool.detail}`.trim();
  const heading =
    permission.title?.trim() || FALLBACK_HEADINGS[toolName] || `Use ${tool.label === toolName ? toolName : tool.label}`;
  const reasons = [
    permission.decisionReason,
    permission.blockedPath ? `Path: ${shortPath(permission.blockedPath, cwd)}` : null,
  ];
  const reason = reasons.filter((r): r is string => Boolean(r?.trim())).join(" · ") || null;
  const path = shortPath(str(input.file_path) ?? str(input.notebook_path) ?? "", cwd);

  let body: ApprovalBody;
  switch (toolName) {
    case "Bash":
      body = { kind: "bash", command: str(input.command) ?? "", description: str(input.description) ?? null };
      break;
    case "Edit":
    case "MultiEdit":
      body = { kind: "edit", path, hunks: editHunks(input) };
      break;
    case "Write":
      body = { kind: "write", path, lines: linesOf(str(input.content) ?? "") };
      break;
    case "AskUserQuestion": {
      const questions = parseQuestions(input);
      body = questions.length ? { kind: "question", questions } : { kind: "fields", fields: fieldsOf(input, cwd) };
      break;
    }
    default:
      body = { kind: "fields", fields: fieldsOf(input, cwd) };
  }
  return { heading, summary, body, reason, note: noteOf(permission, body, cwd) };
}

function noteOf(permission: TurnPermission, body: ApprovalBody, cwd?: string): string | null {
  const note = permission.description?.trim();
  if (!note || body.kind === "bash") return null;
  const repeats = Object.values(permission.input).some(
    (value) => typeof value === "string" && (value.trim() === note || shortPath(value, cwd) === note),
  );
  return repeats ? null : note;
}
