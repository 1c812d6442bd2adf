/**
 * A turn's work in the order it happened, from its `log` events (each an Agent SDK message as
 * JSON text): the agent's text between tool calls, and each tool call with what came back. Pure:
 * the conversation renders it (TurnSteps.tsx), a step's detail is rendered on demand.
 */
import { summarizeTool } from "./activity.ts";
import type { TurnPermission } from "./turns.ts";

export interface Step {
  /** The tool_use id (or the step's position when there is none). */
  id: string;
  /** The tool's own name: "Bash", "Read", "Edit", an MCP tool… */
  tool: string;
  /** What it does, in words, at each moment: "Ran", "Running", "Wants to run"… (stepVerb picks one). */
  verbs: StepVerbs;
  /** What it did it to, on one line: the command, the file, the pattern. */
  target: string;
  input: Record<string, unknown>;
  /** `refused`: its approval was denied, or cancelled when the turn stopped, so it never ran. */
  status: "running" | "ok" | "error" | "refused";
  /** Everything the tool returned (text), once it is back. */
  output: string | null;
  /** When the agent asked for it and when its result came back (ms), from the messages' `timestamp`. */
  startedAt: number | null;
  endedAt: number | null;
}

/**
 * How long a finished step took; null when its messages carry no time (older turns), and for a
 * refused call: its result came when the user answered, and a time beside "Tried to run" would read
 * as how long a command ran that never did.
 */
export function stepDuration(step: Pick<Step, "startedAt" | "endedAt" | "status">): number | null {
  if (step.status === "refused") return null;
  return step.startedAt !== null && step.endedAt !== null ? Math.max(0, step.endedAt - step.startedAt) : null;
}

/** The `timestamp` the server stamps on each message (and a desk transcript's lines carry), in ms. */
function timeOf(message: JsonObject): number | null {
  const time = typeof message.timestamp === "string" ? Date.parse(message.timestamp) : Number.NaN;
  return Number.isNaN(time) ? null : time;
}

export type TurnPart = { kind: "text"; text: string } | { kind: "step"; step: Step };

export interface StepOptions {
  /** The session's directory: paths inside it are shown relative to it. */
  cwd?: string;
  /** The tool calls whose approval was denied or cancelled (refusedToolUses). */
  refused?: ReadonlySet<string>;
}

/**
 * The ids of the tool calls that never ran: their approval was denied, or cancelled when the turn
 * stopped. The CLI reports such a call as a failed result, which would read "Ran" with an error.
 * As one string (ids joined by spaces), so a view can memoise on it while the turn's other parts change.
 */
export function refusedToolUses(permissions: readonly Pick<TurnPermission, "toolUseId" | "status">[]): string {
  return permissions
    .filter((p) => p.toolUseId !== null && (p.status === "deny" || p.status === "cancelled"))
    .map((p) => p.toolUseId)
    .join(" ");
}

/** refusedToolUses' string as the set turnParts takes (none for ""). */
export function refusedSet(refused: string): ReadonlySet<string> {
  return new Set(refused ? refused.split(" ") : []);
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * What a step row starts with, by where the step is: a row must never say "Ran" over a command
 * that waits for the user's approval, or is still running.
 */
export interface StepVerbs {
  /** Finished: "Ran". */
  done: string;
  /** Under way: "Running". */
  doing: string;
  /** Waiting for the user's approval: "Wants to run". */
  asking: string;
  /** It never ran (denied), or the turn ended before its result came back: "Tried to run". */
  unfinished: string;
}

/** summarizeTool's label → its verbs: done, doing, and the plain form ("run") the others are made of. */
const VERBS: Record<string, [done: string, doing: string, plain: string]> = {
  Bash: ["Ran", "Running", "run"],
  Read: ["Read", "Reading", "read"],
  Write: ["Wrote", "Writing", "write"],
  Edit: ["Edited", "Editing", "edit"],
  "Edit notebook": ["Edited", "Editing", "edit"],
  Search: ["Searched", "Searching", "search"],
  "Find files": ["Found files", "Finding files", "find files"],
  List: ["Listed", "Listing", "list"],
  Fetch: ["Fetched", "Fetching", "fetch"],
  "Web search": ["Searched the web", "Searching the web", "search the web"],
};

/**
 * Where the turn is, for a step that has no result yet: the agent is working, waiting for the user's
 * approval, or the turn is over (the step was cut off).
 */
export type StepMoment = "working" | "waiting" | "over";

/** The verb a step's row starts with. */
export function stepVerb(step: Step, moment: StepMoment): string {
  const { verbs } = step;
  if (step.status === "refused") return verbs.unfinished;
  if (step.status !== "running") return verbs.done;
  return moment === "working" ? verbs.doing : moment === "waiting" ? verbs.asking : verbs.unfinished;
}

export function stepVerbs(label: string): StepVerbs {
  const forms = VERBS[label];
  // Another tool ("Agent", an MCP tool): its name reads the same at every moment; the row's icon tells them apart.
  if (!forms) return { done: label, doing: label, asking: label, unfinished: label };
  const [done, doing, plain] = forms;
  return { done, doing, asking: `Wants to ${plain}`, unfinished: `Tried to ${plain}` };
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter(isObject)
    .map((part) =>
      part.type === "text" && typeof part.text === "string" ? part.text : part.type === "image" ? "[image]" : "",
    )
    .join("\n");
}

/**
 * The turn's parts in order. Text the agent wrote after its last tool call is left out: it is the
 * final answer, which the turn shows in full (`chat:response`).
 */
export function turnParts(logs: readonly string[], options: StepOptions = {}): TurnPart[] {
  const parts: TurnPart[] = [];
  const byId = new Map<string, Step>();
  for (const data of logs) {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      continue;
    }
    if (!isObject(message) || !isObject(message.message)) continue;
    const content = Array.isArray(message.message.content) ? message.message.content.filter(isObject) : [];
    if (message.type === "assistant") {
      for (const block of content) {
        if (block.type === "text" && typeof block.text === "string" && block.text.trim()) {
          parts.push({ kind: "text", text: block.text });
        } else if (block.type === "tool_use") {
          const tool = typeof block.name === "string" ? block.name : "tool";
          const input = isObject(block.input) ? block.input : {};
          const summary = summarizeTool(tool, input, { cwd: options.cwd, maxLength: 200 });
          const verbs = stepVerbs(summary.label);
          const id = typeof block.id === "string" ? block.id : `step-${parts.length}`;
          const step: Step = {
            id,
            tool,
            verbs,
            target: summary.detail,
            input,
            status: options.refused?.has(id) ? "refused" : "running",
            output: null,
            startedAt: timeOf(message),
            endedAt: null,
          };
          byId.set(id, step);
          parts.push({ kind: "step", step });
        }
      }
    } else if (message.type === "user") {
      for (const block of content) {
        if (block.type !== "tool_result" || typeof block.tool_use_id !== "string") continue;
        const step = byId.get(block.tool_use_id);
        if (!step) continue;
        if (step.status !== "refused") step.status = block.is_error === true ? "error" : "ok";
        step.output = resultText(block.content);
        step.endedAt = timeOf(message);
      }
    }
  }
  let end = parts.length;
  while (end > 0 && parts[end - 1]?.kind === "text") end--;
  return parts.slice(0, end);
}

export function stepsOf(parts: readonly TurnPart[]): Step[] {
  return parts.flatMap((part) => (part.kind === "step" ? [part.step] : []));
}

const EDITING = new Set(["Edit", "MultiEdit", "Write", "NotebookEdit"]);
const SEARCHING = new Set(["Grep", "Glob", "WebSearch"]);

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * One line for a finished turn: "Edited 3 files · ran 4 commands · read 2 files · 1 step not run".
 * A step still "running" in a finished turn was cut off when the turn stopped: "not finished".
 */
export function summarizeSteps(steps: readonly Step[]): string {
  const edited = new Set<string>();
  let commands = 0;
  let reads = 0;
  let searches = 0;
  let others = 0;
  let refused = 0;
  let unfinished = 0;
  for (const step of steps) {
    if (step.status === "refused") refused++;
    else if (step.status === "running") unfinished++;
    else if (EDITING.has(step.tool)) {
      const path = step.input.file_path ?? step.input.notebook_path;
      edited.add(typeof path === "string" ? path : step.id);
    } else if (step.tool === "Bash") commands++;
    else if (step.tool === "Read") reads++;
    else if (SEARCHING.has(step.tool)) searches++;
    else others++;
  }
  const parts = [
    edited.size ? `edited ${count(edited.size, "file", "files")}` : null,
    commands ? `ran ${count(commands, "command", "commands")}` : null,
    reads ? `read ${count(reads, "file", "files")}` : null,
    searches ? `searched ${count(searches, "time", "times")}` : null,
    others ? count(others, "other step", "other steps") : null,
    refused ? `${count(refused, "step", "steps")} not run` : null,
    unfinished ? `${count(unfinished, "step", "steps")} not finished` : null,
  ].filter((part): part is string => part !== null);
  const line = parts.join(" · ");
  return line.charAt(0).toUpperCase() + line.slice(1);
}

/** The "Exit code N" the CLI puts first in a failed command's output, if it is there. */
export function exitCodeOf(output: string | null): number | null {
  const match = output ? /^Exit code (\d+)/.exec(output) : null;
  return match ? Number(match[1]) : null;
}
