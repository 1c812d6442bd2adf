/**
 * A rule or a scope in words: "Commands starting with `npm test`", "Edits in `src`". Apart from
 * allowRules.ts, which decides what a rule allows, because the conversation's first screen shows a
 * resolved approval's rule (resolution.ts) and needs only this; the rest loads with the approval card.
 */
import type { RuleShape } from "./allowRules.ts";

/** Whether `path` is `folder` or inside it (both resolved, absolute). */
export function isInside(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder === "/" ? "/" : `${folder}/`);
}

export const quote = (text: string, max = 60) => `\`${text.length > max ? `${text.slice(0, max - 1)}…` : text}\``;

/** The folder's last parts, for a label: `…/shop/src`. */
export function shortFolder(path: string, cwd: string): string {
  if (path === cwd) return "this session's folder";
  if (cwd.length > 1 && isInside(cwd, path)) return quote(path.slice(cwd.length + 1));
  return quote(path);
}

/** A rule in words, for the settings' list: "Commands starting with `npm test`". */
export function describeRule(rule: RuleShape, cwd: string): string {
  switch (rule.kind) {
    case "tool":
      if (rule.toolName === "Bash") return "Any command";
      if (rule.toolName === "Edit") return "Any file edit";
      if (rule.toolName === "Read") return "Reading any file";
      return `Any ${rule.toolName} use`;
    case "command":
      return `The command ${quote(rule.content ?? "", 120)}`;
    case "prefix":
      return `Commands starting with ${quote(rule.content ?? "", 120)}`;
    case "folder":
      return `${rule.toolName === "Read" ? "Reading files in" : "Edits in"} ${shortFolder(rule.content ?? "/", cwd)}`;
  }
}
