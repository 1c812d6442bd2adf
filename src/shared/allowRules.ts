/**
 * "Always allow" as rules Pocket Agent keeps per session (decision 034): which scopes an approval
 * offers, the rule a chosen scope makes, whether a rule allows a tool use, and a rule in words.
 * Shared so the card offers exactly what the server accepts. Paths are POSIX (the server runs on
 * Linux or macOS) and are compared after `.` and `..` are resolved; the server also checks
 * symbolic links before it lets a folder rule allow an edit.
 */

import type { AllowScope } from "./messages.ts";
import { isInside, quote, shortFolder } from "./ruleWords.ts";

export { describeRule, isInside } from "./ruleWords.ts";
export type { AllowScope };

export const EDIT_TOOLS: readonly string[] = ["Edit", "MultiEdit", "Write", "NotebookEdit"];
/** Tools that are a conversation with the user, not an action: nothing about them is remembered. */
const NEVER_REMEMBERED: readonly string[] = ["AskUserQuestion", "ExitPlanMode"];

export type AllowRuleKind = AllowScope["kind"];

/** What a rule needs to match: the tool (`Edit` stands for every edit tool) and the command, prefix or folder. */
export interface RuleShape {
  toolName: string;
  kind: AllowRuleKind;
  content?: string;
}

export interface ScopeOption {
  scope: AllowScope;
  /** "Only `npm test -- --watch`", "Commands starting with `npm test`". */
  label: string;
}

type Input = Readonly<Record<string, unknown>>;

const isEditTool = (toolName: string) => EDIT_TOOLS.includes(toolName);
const ruleToolName = (toolName: string) => (isEditTool(toolName) ? "Edit" : toolName);

/** `a/./b/../c` → `a/c`, absolute when `base` is; null when `..` climbs above the root. */
export function resolvePath(base: string, path: string): string | null {
  const parts: string[] = [];
  for (const part of `${path.startsWith("/") ? "" : `${base}/`}${path}`.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (!parts.length) return null;
      parts.pop();
    } else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** The file an edit tool changes (or Read reads), resolved against the session's folder. */
export function editedPath(input: Input, cwd: string): string | null {
  const raw = typeof input.file_path === "string" ? input.file_path : input.notebook_path;
  return typeof raw === "string" && raw.trim() ? resolvePath(cwd, raw.trim()) : null;
}

const commandOf = (input: Input): string | null =>
  typeof input.command === "string" && input.command.trim() ? input.command.trim() : null;

/**
 * Whether a command is one simple command: a prefix rule never allows `npm test && rm -rf ~` or
 * `npm test $(curl …)`, whatever it starts with. Quotes are not parsed, so a quoted `;` counts too:
 * such a command is asked about, which is the safe side.
 */
export function isSimpleCommand(command: string): boolean {
  return !/[;&|<>`\n\r]|\$\(/.test(command);
}

/** Programs whose first argument is the real command: `npm test`, `git push`, `docker compose`. */
const TWO_WORD_PROGRAMS = new Set([
  "npm",
  "npx",
  "pnpm",
  "yarn",
  "bun",
  "bunx",
  "git",
  "cargo",
  "go",
  "docker",
  "kubectl",
  "make",
  "pip",
  "python",
  "python3",
  "node",
  "deno",
  "uv",
  "poetry",
  "gh",
]);

/** The prefix "Always allow" proposes for a command: its program, and the subcommand for the programs above. */
export function proposedPrefix(command: string): string | null {
  if (!isSimpleCommand(command)) return null;
  const words = command.split(/\s+/).filter(Boolean);
  const [program, second] = words;
  if (!program) return null;
  const prefix =
    program && TWO_WORD_PROGRAMS.has(program) && second && !second.startsWith("-") ? `${program} ${second}` : program;
  // A prefix that is the whole command would say the same as "only this command".
  return prefix === words.join(" ") ? null : prefix;
}

/** Whether `command` starts with `prefix` at a word boundary. */
export function startsWithWords(command: string, prefix: string): boolean {
  const words = command.trim().split(/\s+/);
  const wanted = prefix.trim().split(/\s+/);
  return wanted.length <= words.length && wanted.every((word, i) => word === words[i]);
}

/** The choices an approval offers, narrowest first. Empty: "Always allow" is not offered. */
export function scopeOptions(toolName: string, input: Input, cwd: string): ScopeOption[] {
  if (NEVER_REMEMBERED.includes(toolName)) return [];
  if (toolName === "Bash") {
    const command = commandOf(input);
    if (!command) return [];
    const options: ScopeOption[] = [{ scope: { kind: "command" }, label: `Only ${quote(command)}` }];
    const prefix = proposedPrefix(command);
    if (prefix) options.push({ scope: { kind: "prefix", prefix }, label: `Commands starting with ${quote(prefix)}` });
    options.push({ scope: { kind: "tool" }, label: "Any command" });
    return options;
  }
  if (isEditTool(toolName)) {
    const path = editedPath(input, cwd);
    const options: ScopeOption[] = [];
    const folder = path ? path.slice(0, path.lastIndexOf("/")) || "/" : null;
    if (folder)
      options.push({ scope: { kind: "folder", path: folder }, label: `Edits in ${shortFolder(folder, cwd)}` });
    if (folder && folder !== cwd && isInside(cwd, folder)) {
      options.push({ scope: { kind: "folder", path: cwd }, label: "Edits in this session's folder" });
    }
    options.push({ scope: { kind: "tool" }, label: "Any file edit" });
    return options;
  }
  if (toolName === "Read") {
    const path = editedPath(input, cwd);
    const folder = path ? path.slice(0, path.lastIndexOf("/")) || "/" : null;
    return [
      ...(folder
        ? [{ scope: { kind: "folder", path: folder } as const, label: `Reading files in ${shortFolder(folder, cwd)}` }]
        : []),
      { scope: { kind: "tool" }, label: "Reading any file" },
    ];
  }
  return [{ scope: { kind: "tool" }, label: `Any ${toolName} use` }];
}

/**
 * The rule a scope makes for this tool use, or a sentence saying why it cannot: a prefix the
 * command does not start with, a folder the file is not in, a scope the tool does not have.
 */
export function ruleFor(
  toolName: string,
  input: Input,
  cwd: string,
  scope: AllowScope,
): { rule: RuleShape } | { refused: string } {
  if (NEVER_REMEMBERED.includes(toolName)) return { refused: `Nothing is remembered for ${toolName}.` };
  switch (scope.kind) {
    case "tool":
      return { rule: { toolName: ruleToolName(toolName), kind: "tool" } };
    case "command":
    case "prefix": {
      const command = commandOf(input);
      if (toolName !== "Bash" || !command) return { refused: "Only a command can be allowed by its text." };
      if (scope.kind === "command") return { rule: { toolName, kind: "command", content: command } };
      const prefix = scope.prefix.trim().split(/\s+/).join(" ");
      if (!isSimpleCommand(prefix)) return { refused: "A prefix must be plain words, without ; & | < > or $(…)." };
      if (!startsWithWords(command, prefix)) return { refused: `The command does not start with ${quote(prefix)}.` };
      return { rule: { toolName, kind: "prefix", content: prefix } };
    }
    case "folder": {
      if (!isEditTool(toolName) && toolName !== "Read")
        return { refused: "Only edits and reads can be allowed by folder." };
      const folder = scope.path.startsWith("/") ? resolvePath("/", scope.path) : null;
      const path = editedPath(input, cwd);
      if (!folder) return { refused: "The folder must be an absolute path." };
      if (!path || !isInside(folder, path)) return { refused: "The file is not in that folder." };
      return { rule: { toolName: ruleToolName(toolName), kind: "folder", content: folder } };
    }
  }
}

/** Whether a rule allows this tool use (paths compared as written; the server adds the symlink check). */
export function ruleAllows(rule: RuleShape, toolName: string, input: Input, cwd: string): boolean {
  if (rule.toolName !== ruleToolName(toolName)) return false;
  switch (rule.kind) {
    case "tool":
      return true;
    case "command":
      return toolName === "Bash" && commandOf(input) === rule.content;
    case "prefix": {
      const command = commandOf(input);
      return (
        toolName === "Bash" &&
        command !== null &&
        rule.content !== undefined &&
        isSimpleCommand(command) &&
        startsWithWords(command, rule.content)
      );
    }
    case "folder": {
      const path = editedPath(input, cwd);
      return path !== null && rule.content !== undefined && isInside(rule.content, path);
    }
  }
}
