/**
 * What the agent is doing now, in a few words, for the sessions list ("Running `npm test`"): read
 * from the tool uses in the agent's assistant messages. Null when a message has no tool use.
 */

const MAX_TARGET_CHARS = 48;

export function activityOf(message: Record<string, unknown>): string | null {
  if (message.type !== "assistant") return null;
  const content = (message.message as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return null;
  let latest: string | null = null;
  for (const block of content) {
    if (typeof block !== "object" || block === null || (block as { type?: unknown }).type !== "tool_use") continue;
    const { name, input } = block as { name?: unknown; input?: unknown };
    if (typeof name !== "string") continue;
    latest = describeToolUse(
      name,
      typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {},
    );
  }
  return latest;
}

export function describeToolUse(name: string, input: Record<string, unknown>): string {
  const text = (key: string) => (typeof input[key] === "string" ? (input[key] as string) : "");
  switch (name) {
    case "Bash":
      return text("command") ? `Running \`${short(firstLine(text("command")))}\`` : "Running a command";
    case "Edit":
    case "MultiEdit":
    case "NotebookEdit":
      return `Editing ${fileName(text("file_path") || text("notebook_path"))}`;
    case "Write":
      return `Writing ${fileName(text("file_path"))}`;
    case "Read":
      return `Reading ${fileName(text("file_path"))}`;
    case "Grep":
      return text("pattern") ? `Searching for “${short(text("pattern"))}”` : "Searching";
    case "Glob":
      return text("pattern") ? `Finding ${short(text("pattern"))}` : "Finding files";
    case "WebFetch":
      return `Reading ${hostOf(text("url"))}`;
    case "WebSearch":
      return "Searching the web";
    case "Task":
    case "Agent":
      return "Running a subagent";
    case "TodoWrite":
      return "Updating its plan";
    case "AskUserQuestion":
      return "Asking you";
    default:
      return `Using ${short(name)}`;
  }
}

function firstLine(value: string): string {
  return value.trim().split("\n")[0] ?? "";
}

function short(value: string): string {
  return value.length > MAX_TARGET_CHARS ? `${value.slice(0, MAX_TARGET_CHARS - 1)}…` : value;
}

function fileName(path: string): string {
  return short(path.split("/").filter(Boolean).at(-1) ?? "a file") || "a file";
}

function hostOf(url: string): string {
  try {
    return new URL(url).host || "a web page";
  } catch {
    return "a web page";
  }
}
