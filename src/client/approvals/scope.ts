/**
 * What "Always allow" would allow, in words, from the permission rules Claude Code suggested with
 * the request (`suggestions`, the SDK's PermissionUpdate[]). The server applies them to this session
 * only and drops a suggestion to switch the whole session's mode (sessionService `forThisSession`);
 * so does this. Null: nothing would be remembered, and "Always allow" is not offered.
 */

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function describeRule(rule: unknown): string | null {
  if (!isObject(rule) || typeof rule.toolName !== "string") return null;
  const tool = rule.toolName;
  const content = typeof rule.ruleContent === "string" ? rule.ruleContent.trim() : "";
  if (!content) return `every ${tool} use`;
  if (tool === "Bash") {
    return content.endsWith(":*") ? `commands starting with \`${content.slice(0, -2)}\`` : `the command \`${content}\``;
  }
  if (tool === "Edit" || tool === "Write" || tool === "MultiEdit" || tool === "NotebookEdit") {
    return `edits to \`${content}\``;
  }
  if (tool === "Read") return `reading \`${content}\``;
  if (tool === "WebFetch") return `fetching ${content.replace(/^domain:/, "")}`;
  return `${tool} for \`${content}\``;
}

export function alwaysAllowScope(suggestions: readonly unknown[]): string | null {
  const parts: string[] = [];
  for (const suggestion of suggestions) {
    if (!isObject(suggestion)) continue;
    if (suggestion.type === "addRules" && suggestion.behavior === "allow" && Array.isArray(suggestion.rules)) {
      for (const rule of suggestion.rules) {
        const text = describeRule(rule);
        if (text) parts.push(text);
      }
    } else if (suggestion.type === "addDirectories" && Array.isArray(suggestion.directories)) {
      for (const directory of suggestion.directories) {
        if (typeof directory === "string") parts.push(`working in \`${directory}\``);
      }
    }
  }
  return parts.length ? `${parts.join(", ")}, in this session` : null;
}
