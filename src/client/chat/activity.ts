/**
 * One-line summaries of what the agent is doing, from its `log` events (each a
 * Claude Agent SDK message as JSON text): the Bash command it runs, the file it
 * reads or edits, the pattern it searches for…
 */

export type ActivityKind = "tool" | "text" | "thinking" | "system" | "result" | "done";

export interface ActivityItem {
  kind: ActivityKind;
  /** Short label: the tool name ("Bash", "Read"…), "Agent", "Session"… */
  label: string;
  /** One line, already truncated. */
  detail: string;
  /** For tools: the tool_use id, to pair it with its result. */
  toolUseId?: string;
  isError?: boolean;
}

export interface SummaryOptions {
  /** The session's working directory: paths inside it are shown relative to it. */
  cwd?: string;
  /** Longest detail, in characters (default 140). */
  maxLength?: number;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Collapses whitespace to one line and cuts it at `max` characters with an ellipsis. */
export function oneLine(text: string, max = 140): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= max) return line;
  return `${line.slice(0, Math.max(1, max - 1)).trimEnd()}…`;
}

/** The first non-empty line of a multi-line text, truncated. */
function firstLine(text: string, max: number): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  const more = text.trim().includes("\n") ? " …" : "";
  const cut = oneLine(line, max);
  return more && !cut.endsWith("…") ? `${cut}${more}` : cut;
}

/** A path relative to the working directory when it is inside it. */
export function shortPath(path: string, cwd?: string): string {
  if (cwd) {
    const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
    if (path.startsWith(base)) return path.slice(base.length) || ".";
    if (path === cwd) return ".";
  }
  return path;
}

const MCP_TOOL = /^mcp__(.+?)__(.+)$/;

/** "Bash" + {command} → `ls -la`; "Read" + {file_path} → `src/app.ts`… */
export function summarizeTool(name: string, input: unknown, options: SummaryOptions = {}): ActivityItem {
  const max = options.maxLength ?? 140;
  const args: JsonObject = isObject(input) ? input : {};
  const path = (key: string) => {
    const value = str(args[key]);
    return value ? shortPath(value, options.cwd) : undefined;
  };
  const item = (label: string, detail: string): ActivityItem => ({
    kind: "tool",
    label,
    detail: oneLine(detail, max),
  });

  switch (name) {
    case "Bash": {
      const command = str(args.command) ?? "";
      return { kind: "tool", label: "Bash", detail: firstLine(command, max) || str(args.description) || "command" };
    }
    case "BashOutput":
      return item("Bash output", str(args.bash_id) ?? "background shell");
    case "KillBash":
    case "KillShell":
      return item("Stop shell", str(args.shell_id) ?? str(args.bash_id) ?? "background shell");
    case "Read": {
      const offset = num(args.offset);
      const limit = num(args.limit);
      const range =
        offset !== undefined && limit !== undefined
          ? ` (lines ${offset}–${offset + limit - 1})`
          : offset !== undefined
            ? ` (from line ${offset})`
            : limit !== undefined
              ? ` (first ${limit} lines)`
              : "";
      return item("Read", `${path("file_path") ?? "file"}${range}`);
    }
    case "Write":
      return item("Write", path("file_path") ?? "file");
    case "Edit":
      return item("Edit", path("file_path") ?? "file");
    case "MultiEdit": {
      const edits = Array.isArray(args.edits) ? args.edits.length : 0;
      return item("Edit", `${path("file_path") ?? "file"}${edits > 1 ? ` (${edits} edits)` : ""}`);
    }
    case "NotebookEdit":
      return item("Edit notebook", path("notebook_path") ?? "notebook");
    case "Glob": {
      const where = path("path");
      return item("Find files", `${str(args.pattern) ?? "*"}${where ? ` in ${where}` : ""}`);
    }
    case "Grep": {
      const where = path("path") ?? str(args.glob) ?? str(args.type);
      return item("Search", `"${str(args.pattern) ?? ""}"${where ? ` in ${where}` : ""}`);
    }
    case "LS":
      return item("List", path("path") ?? ".");
    case "WebFetch":
      return item("Fetch", str(args.url) ?? "web page");
    case "WebSearch":
      return item("Web search", str(args.query) ?? "");
    case "Task":
    case "Agent": {
      const who = str(args.subagent_type);
      return item("Agent", `${str(args.description) ?? str(args.prompt) ?? "sub-task"}${who ? ` (${who})` : ""}`);
    }
    case "TodoWrite": {
      const todos = Array.isArray(args.todos) ? args.todos.filter(isObject) : [];
      const done = todos.filter((t) => t.status === "completed").length;
      const current = todos.find((t) => t.status === "in_progress");
      const now = current ? ` · ${str(current.activeForm) ?? str(current.content) ?? ""}` : "";
      return item("Plan", `${done}/${todos.length} done${now}`);
    }
    case "ExitPlanMode":
      return item("Plan", "ready for review");
    default: {
      const mcp = MCP_TOOL.exec(name);
      const label = mcp ? `${mcp[1]}: ${mcp[2]}` : name;
      const firstString = Object.values(args).find((v): v is string => typeof v === "string");
      return item(label, firstString ?? (Object.keys(args).length ? JSON.stringify(args) : ""));
    }
  }
}

function toolResultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .filter(isObject)
      .map((part) => (part.type === "text" ? (str(part.text) ?? "") : part.type === "image" ? "[image]" : ""))
      .join("\n");
  }
  return "";
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** What one SDK message says, as zero or more one-line items. Unknown or partial messages give none. */
export function summarizeLog(data: string, options: SummaryOptions = {}): ActivityItem[] {
  const max = options.maxLength ?? 140;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return [];
  }
  if (!isObject(parsed)) return [];
  const message = isObject(parsed.message) ? parsed.message : undefined;
  const content = message && Array.isArray(message.content) ? message.content.filter(isObject) : [];

  switch (parsed.type) {
    case "assistant": {
      const items: ActivityItem[] = [];
      for (const block of content) {
        if (block.type === "tool_use") {
          const summary = summarizeTool(str(block.name) ?? "tool", block.input, options);
          const toolUseId = str(block.id);
          items.push(toolUseId ? { ...summary, toolUseId } : summary);
        } else if (block.type === "text") {
          const text = str(block.text) ?? "";
          if (text.trim()) items.push({ kind: "text", label: "Reply", detail: firstLine(text, max) });
        } else if (block.type === "thinking" || block.type === "redacted_thinking") {
          items.push({ kind: "thinking", label: "Thinking", detail: firstLine(str(block.thinking) ?? "", max) });
        }
      }
      return items;
    }
    case "user": {
      const items: ActivityItem[] = [];
      for (const block of content) {
        if (block.type !== "tool_result") continue;
        const isError = block.is_error === true;
        const text = toolResultText(block.content);
        const toolUseId = str(block.tool_use_id);
        items.push({
          kind: "result",
          label: isError ? "Error" : "Result",
          detail: firstLine(text, max) || (isError ? "failed" : "no output"),
          isError,
          ...(toolUseId ? { toolUseId } : {}),
        });
      }
      return items;
    }
    case "system": {
      switch (parsed.subtype) {
        case "init": {
          const tools = Array.isArray(parsed.tools) ? parsed.tools.length : 0;
          const model = str(parsed.model);
          return [
            {
              kind: "system",
              label: "Session",
              detail: `started${model ? ` · ${model}` : ""}${tools ? ` · ${tools} tools` : ""}`,
            },
          ];
        }
        case "api_retry": {
          const attempt = num(parsed.attempt);
          return [{ kind: "system", label: "API", detail: `retrying${attempt ? ` (attempt ${attempt})` : ""}` }];
        }
        case "compact_boundary":
          return [{ kind: "system", label: "Context", detail: "conversation compacted" }];
        default:
          return [];
      }
    }
    case "result": {
      const isError = parsed.is_error === true || (str(parsed.subtype) ?? "success") !== "success";
      const duration = num(parsed.duration_ms);
      const cost = num(parsed.total_cost_usd);
      const turns = num(parsed.num_turns);
      const parts = [
        isError ? `stopped (${str(parsed.subtype) ?? "error"})` : "finished",
        duration !== undefined ? formatSeconds(duration) : null,
        turns !== undefined ? `${turns} step${turns === 1 ? "" : "s"}` : null,
        cost !== undefined ? `$${cost.toFixed(4)}` : null,
      ].filter((p): p is string => p !== null);
      return [{ kind: "done", label: "Done", detail: parts.join(" · "), isError }];
    }
    default:
      return [];
  }
}
