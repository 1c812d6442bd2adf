/** What the composer's `/` suggestions show: pure, so the matching is tested without a browser. */
import type { SlashCommand } from "../../shared/messages.ts";

/** The command being typed: the text is `/` and a name so far, nothing after it; else null. */
export function slashQuery(text: string): string | null {
  const match = /^\/([^\s/]*)$/.exec(text);
  return match ? (match[1] ?? "").toLowerCase() : null;
}

/**
 * Commands matching what was typed: names (or aliases) that start with it first, then names that
 * contain it; the list's own order (the project's first) within each group.
 */
export function matchCommands(commands: readonly SlashCommand[], query: string, limit = 50): SlashCommand[] {
  if (!query) return commands.slice(0, limit);
  const starts: SlashCommand[] = [];
  const contains: SlashCommand[] = [];
  for (const command of commands) {
    const names = [command.name, ...(command.aliases ?? [])].map((name) => name.toLowerCase());
    if (names.some((name) => name.startsWith(query))) starts.push(command);
    else if (names.some((name) => name.includes(query))) contains.push(command);
  }
  return [...starts, ...contains].slice(0, limit);
}

/** The composer's text once a command is chosen: the command and a space, ready for its arguments. */
export function insertCommand(command: SlashCommand): string {
  return `/${command.name} `;
}
