/**
 * Markdown to one line of plain text, for the places that show a message in a single line: a
 * session's title (from its first message) and the sessions list's preview of the newest message.
 * Not a Markdown parser: it drops the syntax a line of prose carries, so "**Fix** the `auth` bug"
 * reads "Fix the auth bug" rather than showing asterisks and backticks.
 */

const MAX_SCAN_CHARS = 20_000;

/** One line of plain text: Markdown syntax dropped, whitespace collapsed, cut to `max` with "…". */
export function plainLine(markdown: string, max: number): string {
  // Only the start can show; the emphasis patterns are not linear in unmatched markers.
  const text = stripInline(
    markdown
      .slice(0, max * 3)
      .replace(/\s+/g, " ")
      .trim(),
  );
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

/** The first line of prose (what a title is made from). */
export function firstProseLine(markdown: string): string {
  return proseLines(markdown)[0] ?? "";
}

/** The last line of prose (what the agent ended on: usually its conclusion). */
export function lastProseLine(markdown: string): string {
  return proseLines(markdown).at(-1) ?? "";
}

/** Lines outside code fences, without block syntax (headings, quotes, list markers, rules, tables' pipes). */
function proseLines(markdown: string): string[] {
  const lines: string[] = [];
  let inFence = false;
  for (const raw of markdown.slice(0, MAX_SCAN_CHARS).split("\n")) {
    if (/^\s*(```|~~~)/.test(raw)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    const line = raw
      .replace(/^\s{0,3}(#{1,6}\s+|>\s?)+/, "")
      .replace(/^\s*([-*+]|\d+[.)])\s+(\[[ xX]\]\s+)?/, "")
      .replace(/^\s*\|?(.*?)\|?\s*$/, (_, cells: string) =>
        cells.includes("|") ? cells.replace(/\s*\|\s*/g, " · ") : cells,
      )
      .trim();
    if (line === "" || /^([-*_]\s*){3,}$/.test(line) || /^[\s:|·-]+$/.test(line)) continue;
    lines.push(line);
  }
  return lines;
}

/** Escaped characters are hidden in the Private Use Area while the syntax around them is removed. */
const HIDDEN = 0xe000;

function stripInline(text: string): string {
  return (
    text
      .replace(/\\([\\`*_{}[\]()#+\-.!~|>])/g, (_, char: string) => String.fromCharCode(HIDDEN + char.charCodeAt(0)))
      // Images and links keep their text.
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<(https?:\/\/[^>\s]+)>/g, "$1")
      // Code spans keep their content.
      .replace(/(`+)([^`]*?)\1/g, "$2")
      // Emphasis and strike-through markers around words.
      // Underscores only at word edges: snake_case stays.
      .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, "$1")
      .replace(/(^|\W)__(?=\S)(.+?)(?<=\S)__(?!\w)/g, "$1$2")
      .replace(/\*(?=\S)(.+?)(?<=\S)\*/g, "$1")
      .replace(/(^|\W)_(?=\S)(.+?)(?<=\S)_(?!\w)/g, "$1$2")
      .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, "$1")
      .replace(/[\ue000-\ue07f]/g, (char) => String.fromCharCode(char.charCodeAt(0) - HIDDEN))
      .trim()
  );
}
