/**
 * A small Markdown renderer for chat messages, safe by construction: the text
 * is parsed into a tree and rendered as React elements, so any HTML in it
 * (`<script>`, `<img onerror>`) stays text. Nothing here ever sets innerHTML.
 *
 * Supports what assistants write: headings, paragraphs, emphasis, strike,
 * inline code, fenced code blocks (unterminated ones too, while streaming),
 * block quotes, nested ordered/unordered/task lists, tables, rules and links.
 * Links open in a new tab and only http(s) and mailto URLs become links.
 */
import { Fragment, memo, type ReactNode } from "react";

// ---------------------------------------------------------------------------
// Block model
// ---------------------------------------------------------------------------

export type Block =
  | { type: "heading"; level: 1 | 2 | 3 | 4 | 5 | 6; text: string }
  | { type: "paragraph"; text: string }
  | { type: "code"; lang: string; code: string }
  | { type: "quote"; blocks: Block[] }
  | { type: "list"; ordered: boolean; start: number; items: ListItem[] }
  | { type: "table"; align: Array<"left" | "center" | "right" | null>; head: string[]; rows: string[][] }
  | { type: "rule" };

export interface ListItem {
  checked: boolean | null;
  blocks: Block[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^( {0,12})([-*+]|\d{1,9}[.)])(\s+|$)(.*)$/;
const TABLE_DELIMITER = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

function isBlank(line: string): boolean {
  return line.trim() === "";
}

function splitRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const cells: string[] = [];
  let cell = "";
  let inCode = false;
  for (let i = 0; i < row.length; i++) {
    const ch = row[i];
    if (ch === "\\" && row[i + 1] === "|") {
      cell += "|";
      i++;
    } else if (ch === "`") {
      inCode = !inCode;
      cell += ch;
    } else if (ch === "|" && !inCode) {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += ch;
    }
  }
  cells.push(cell.trim());
  return cells;
}

/** Does `line` start a block other than a paragraph (so it interrupts one)? */
function startsBlock(line: string, next: string | undefined): boolean {
  return (
    FENCE.test(line) ||
    HEADING.test(line) ||
    RULE.test(line) ||
    QUOTE.test(line) ||
    LIST_ITEM.test(line) ||
    (line.includes("|") && next !== undefined && TABLE_DELIMITER.test(next) && next.includes("-"))
  );
}

/** Parses Markdown into blocks. Never throws. */
export function parseBlocks(source: string, depth = 0): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n");
  const blocks: Block[] = [];
  let i = 0;

  while (i < lines.length) {
    const line = lines[i] ?? "";
    if (isBlank(line)) {
      i++;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] ?? "```";
      const indent = line.length - line.trimStart().length;
      const code: string[] = [];
      i++;
      while (i < lines.length) {
        const current = lines[i] ?? "";
        const trimmed = current.trim();
        if (trimmed.length >= marker.length && [...trimmed].every((c) => c === marker[0])) {
          i++;
          break;
        }
        code.push(indent > 0 ? current.replace(new RegExp(`^ {0,${indent}}`), "") : current);
        i++;
      }
      blocks.push({ type: "code", lang: fence[2] ?? "", code: code.join("\n") });
      continue;
    }

    const heading = HEADING.exec(line);
    if (heading) {
      const level = Math.min(6, heading[1]?.length ?? 1) as 1 | 2 | 3 | 4 | 5 | 6;
      blocks.push({ type: "heading", level, text: heading[2] ?? "" });
      i++;
      continue;
    }

    if (RULE.test(line)) {
      blocks.push({ type: "rule" });
      i++;
      continue;
    }

    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length) {
        const current = lines[i] ?? "";
        const quoted = QUOTE.exec(current);
        if (quoted) inner.push(quoted[1] ?? "");
        else if (!isBlank(current) && !startsBlock(current, lines[i + 1]))
          inner.push(current); // lazy continuation
        else break;
        i++;
      }
      blocks.push({ type: "quote", blocks: depth > 8 ? [] : parseBlocks(inner.join("\n"), depth + 1) });
      continue;
    }

    const item = LIST_ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2] ?? "");
      const baseIndent = item[1]?.length ?? 0;
      const start = ordered ? Number.parseInt(item[2] ?? "1", 10) : 1;
      const items: ListItem[] = [];
      while (i < lines.length) {
        const current = lines[i] ?? "";
        const match = LIST_ITEM.exec(current);
        if (!match || (match[1]?.length ?? 0) > baseIndent + 1 || /\d/.test(match[2] ?? "") !== ordered) break;
        if ((match[1]?.length ?? 0) < baseIndent) break;
        const contentIndent = (match[1]?.length ?? 0) + (match[2]?.length ?? 0) + Math.min(4, match[3]?.length || 1);
        const body: string[] = [match[4] ?? ""];
        i++;
        while (i < lines.length) {
          const next = lines[i] ?? "";
          if (isBlank(next)) {
            // A blank line continues the item only if indented content follows.
            const after = lines[i + 1];
            if (after !== undefined && !isBlank(after) && after.length - after.trimStart().length >= contentIndent) {
              body.push("");
              i++;
              continue;
            }
            break;
          }
          const indent = next.length - next.trimStart().length;
          if (indent >= contentIndent || (indent > baseIndent && LIST_ITEM.test(next))) {
            body.push(next.slice(Math.min(indent, contentIndent)));
          } else if (!startsBlock(next, lines[i + 1]) && indent > baseIndent) {
            body.push(next.trimStart());
          } else if (!startsBlock(next, lines[i + 1]) && body.length === 1) {
            body.push(next.trimStart()); // lazy paragraph continuation
          } else {
            break;
          }
          i++;
        }
        let text = body.join("\n");
        let checked: boolean | null = null;
        const task = /^\[([ xX])\]\s+/.exec(text);
        if (task) {
          checked = task[1] !== " ";
          text = text.slice(task[0].length);
        }
        items.push({ checked, blocks: depth > 8 ? [] : parseBlocks(text, depth + 1) });
        while (i < lines.length && isBlank(lines[i] ?? "")) {
          const after = lines[i + 1];
          const afterMatch = after === undefined ? null : LIST_ITEM.exec(after);
          if (afterMatch && (afterMatch[1]?.length ?? 0) === baseIndent) i++;
          else break;
        }
      }
      blocks.push({ type: "list", ordered, start, items });
      continue;
    }

    const next = lines[i + 1];
    if (line.includes("|") && next !== undefined && TABLE_DELIMITER.test(next) && next.includes("-")) {
      const head = splitRow(line);
      const align = splitRow(next).map((cell) => {
        const left = cell.startsWith(":");
        const right = cell.endsWith(":");
        return left && right ? "center" : right ? "right" : left ? "left" : null;
      });
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && !isBlank(lines[i] ?? "") && (lines[i] ?? "").includes("|")) {
        rows.push(splitRow(lines[i] ?? ""));
        i++;
      }
      blocks.push({ type: "table", align, head, rows });
      continue;
    }

    const paragraph: string[] = [line.trim()];
    i++;
    while (i < lines.length) {
      const current = lines[i] ?? "";
      if (isBlank(current) || startsBlock(current, lines[i + 1])) break;
      paragraph.push(current.trim());
      i++;
    }
    blocks.push({ type: "paragraph", text: paragraph.join("\n") });
  }
  return blocks;
}

// ---------------------------------------------------------------------------
// Inline model
// ---------------------------------------------------------------------------

export type Inline =
  | { type: "text"; text: string }
  | { type: "code"; text: string }
  | { type: "strong" | "em" | "del"; children: Inline[] }
  | { type: "link"; href: string; children: Inline[] }
  | { type: "break" };

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/** The URL if it is absolute http(s) or mailto; otherwise null (javascript:, data:, relative…). */
export function safeHref(raw: string): string | null {
  const trimmed = raw.trim().replace(/^<|>$/g, "");
  // Browsers ignore ASCII control characters and whitespace inside schemes ("java\tscript:"): refuse them all.
  for (const ch of trimmed) {
    const code = ch.charCodeAt(0);
    if (code < 0x21 || code === 0x7f || /\s/.test(ch)) return null;
  }
  try {
    const url = new URL(trimmed);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

const ESCAPABLE = /[\\`*_{}[\]()#+\-.!|~<>"']/;
const BARE_URL = /^https?:\/\/[^\s<>"]+/;

function findClosing(text: string, marker: string, from: number): number {
  let index = text.indexOf(marker, from);
  while (index !== -1) {
    const before = text[index - 1];
    if (before !== undefined && before !== " " && before !== "\\" && index > from) return index;
    index = text.indexOf(marker, index + 1);
  }
  return -1;
}

/** Finds the `)` that closes a link destination, allowing balanced parentheses inside. */
function closeParen(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\") i++;
    else if (ch === "(") depth++;
    else if (ch === ")") {
      if (depth === 0) return i;
      depth--;
    } else if (ch === "\n") return -1;
  }
  return -1;
}

/** Finds the `]` that closes link text, allowing nested brackets. */
function closeBracket(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\") i++;
    else if (ch === "`") {
      const end = text.indexOf("`", i + 1);
      if (end !== -1) i = end;
    } else if (ch === "[") depth++;
    else if (ch === "]") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Parses inline Markdown. Never throws. */
export function parseInline(text: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let buffer = "";
  const flush = () => {
    if (buffer) out.push({ type: "text", text: buffer });
    buffer = "";
  };
  const nested = (inner: string) =>
    depth > 12 ? [{ type: "text" as const, text: inner }] : parseInline(inner, depth + 1);

  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? "";
    const rest = text.slice(i);

    if (ch === "\\") {
      const next = text[i + 1];
      if (next === "\n") {
        flush();
        out.push({ type: "break" });
        i += 2;
        continue;
      }
      if (next !== undefined && ESCAPABLE.test(next)) {
        buffer += next;
        i += 2;
        continue;
      }
    }

    if (ch === "\n") {
      buffer = buffer.replace(/ +$/, "");
      flush();
      out.push({ type: "break" });
      i++;
      continue;
    }

    if (ch === "`") {
      const run = /^`+/.exec(rest)?.[0] ?? "`";
      const end = text.indexOf(run, i + run.length);
      if (end !== -1) {
        flush();
        let code = text.slice(i + run.length, end).replace(/\n/g, " ");
        if (code.startsWith(" ") && code.endsWith(" ") && code.trim()) code = code.slice(1, -1);
        out.push({ type: "code", text: code });
        i = end + run.length;
        continue;
      }
      buffer += run;
      i += run.length;
      continue;
    }

    if (ch === "!" && text[i + 1] === "[") {
      // Images are not loaded (privacy, layout): show them as a link to the image.
      const close = closeBracket(text, i + 2);
      if (close !== -1 && text[close + 1] === "(") {
        const end = closeParen(text, close + 2);
        if (end !== -1) {
          const alt = text.slice(i + 2, close) || "image";
          const href = safeHref(text.slice(close + 2, end).split(/\s+"/)[0] ?? "");
          flush();
          out.push(
            href ? { type: "link", href, children: [{ type: "text", text: `🖼 ${alt}` }] } : { type: "text", text: alt },
          );
          i = end + 1;
          continue;
        }
      }
    }

    if (ch === "[") {
      const close = closeBracket(text, i + 1);
      if (close !== -1 && text[close + 1] === "(") {
        const end = closeParen(text, close + 2);
        if (end !== -1) {
          const label = text.slice(i + 1, close);
          const destination =
            text
              .slice(close + 2, end)
              .trim()
              .split(/\s+(?=["'(])/)[0] ?? "";
          const href = safeHref(destination);
          flush();
          if (href) out.push({ type: "link", href, children: nested(label) });
          else out.push(...nested(label));
          i = end + 1;
          continue;
        }
      }
    }

    if (ch === "<") {
      const auto = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/.exec(rest);
      const href = auto ? safeHref(auto[1] ?? "") : null;
      if (auto && href) {
        flush();
        out.push({ type: "link", href, children: [{ type: "text", text: auto[1] ?? "" }] });
        i += auto[0].length;
        continue;
      }
    }

    if ((ch === "h" || ch === "H") && /[\s(]|^$/.test(text[i - 1] ?? "")) {
      const bare = BARE_URL.exec(rest);
      if (bare) {
        let url = bare[0];
        // Trailing punctuation belongs to the sentence, not the URL.
        while (/[.,:;!?'")\]]$/.test(url)) {
          if (url.endsWith(")") && (url.match(/\(/g)?.length ?? 0) >= (url.match(/\)/g)?.length ?? 0)) break;
          url = url.slice(0, -1);
        }
        const href = safeHref(url);
        if (href) {
          flush();
          out.push({ type: "link", href, children: [{ type: "text", text: url }] });
          i += url.length;
          continue;
        }
      }
    }

    if (ch === "*" || ch === "_" || ch === "~") {
      const double = text[i + 1] === ch;
      const marker = double ? ch + ch : ch;
      const after = text[i + marker.length];
      const before = text[i - 1];
      const intraword = ch === "_" && before !== undefined && /[\p{L}\p{N}]/u.test(before);
      if (ch === "~" && !double) {
        buffer += ch;
        i++;
        continue;
      }
      if (after !== undefined && after !== " " && after !== "\n" && !intraword) {
        const end = findClosing(text, marker, i + marker.length);
        const closingNext = end === -1 ? undefined : text[end + marker.length];
        const closesIntraword = ch === "_" && closingNext !== undefined && /[\p{L}\p{N}]/u.test(closingNext);
        if (end !== -1 && !closesIntraword && !(!double && text[end + 1] === ch && text[end - 1] !== ch)) {
          flush();
          const inner = text.slice(i + marker.length, end);
          const type = ch === "~" ? "del" : double ? "strong" : "em";
          out.push({ type, children: nested(inner) });
          i = end + marker.length;
          continue;
        }
      }
      buffer += marker;
      i += marker.length;
      continue;
    }

    buffer += ch;
    i++;
  }
  flush();
  return out;
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/** Inline code up to this many characters never wraps (it fits a 320 px line in 13 px mono). */
const SHORT_INLINE_CODE = 24;

function renderInline(nodes: readonly Inline[]): ReactNode[] {
  return nodes.map((node, index) => {
    const key = index;
    switch (node.type) {
      case "text":
        return <Fragment key={key}>{node.text}</Fragment>;
      case "break":
        return <br key={key} />;
      case "code":
        return (
          // A short span (`--retry`, a file name) stays on one line: broken at its hyphen it reads as
          // two things. A long one may wrap anywhere rather than overflow a phone's line.
          <code
            key={key}
            className={node.text.length <= SHORT_INLINE_CODE ? "md-code-inline nowrap" : "md-code-inline"}
          >
            {node.text}
          </code>
        );
      case "strong":
        return <strong key={key}>{renderInline(node.children)}</strong>;
      case "em":
        return <em key={key}>{renderInline(node.children)}</em>;
      case "del":
        return <del key={key}>{renderInline(node.children)}</del>;
      case "link":
        return (
          <a key={key} href={node.href} target="_blank" rel="noopener noreferrer">
            {renderInline(node.children)}
          </a>
        );
      default: {
        const unreachable: never = node;
        return unreachable;
      }
    }
  });
}

function inline(text: string): ReactNode[] {
  return renderInline(parseInline(text));
}

type HeadingTag = "h2" | "h3" | "h4" | "h5" | "h6";
const HEADING_TAGS: readonly HeadingTag[] = ["h2", "h3", "h4", "h5", "h6"];

function collectHeadingLevels(blocks: readonly Block[], into: Set<number>): Set<number> {
  for (const block of blocks) {
    if (block.type === "heading") into.add(block.level);
    else if (block.type === "quote") collectHeadingLevels(block.blocks, into);
    else if (block.type === "list") for (const item of block.items) collectHeadingLevels(item.blocks, into);
  }
  return into;
}

/**
 * A message sits under the page's h1, and the agent's `##`/`####` rarely start at `#` or go one step
 * at a time. Screen-reader users navigate by heading level, so the levels a message uses become
 * h2, h3, … in order: a message never skips a level and never competes with the page title.
 */
function headingTagsFor(blocks: readonly Block[]): Map<number, HeadingTag> {
  const levels = [...collectHeadingLevels(blocks, new Set())].sort((a, b) => a - b);
  return new Map(levels.map((level, rank) => [level, HEADING_TAGS[Math.min(rank, HEADING_TAGS.length - 1)] ?? "h6"]));
}

function renderBlocks(blocks: readonly Block[], headings: Map<number, HeadingTag>): ReactNode[] {
  return blocks.map((block, index) => {
    const key = index;
    switch (block.type) {
      case "heading": {
        const Tag = headings.get(block.level) ?? "h6";
        return (
          <Tag key={key} className={`md-h md-h${block.level}`}>
            {inline(block.text)}
          </Tag>
        );
      }
      case "paragraph":
        return <p key={key}>{inline(block.text)}</p>;
      case "code":
        return (
          <div key={key} className="md-codeblock">
            {block.lang ? <div className="md-codeblock-lang">{block.lang}</div> : null}
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
            <pre tabIndex={0}>
              <code>{block.code}</code>
            </pre>
          </div>
        );
      case "quote":
        return <blockquote key={key}>{renderBlocks(block.blocks, headings)}</blockquote>;
      case "list": {
        const items = block.items.map((item, itemIndex) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: list items have no identity beyond their position
          <li key={itemIndex} className={item.checked === null ? undefined : "md-task"}>
            {item.checked === null ? null : (
              <input type="checkbox" checked={item.checked} disabled aria-label={item.checked ? "done" : "not done"} />
            )}
            {renderBlocks(item.blocks, headings)}
          </li>
        ));
        return block.ordered ? (
          <ol key={key} start={block.start === 1 ? undefined : block.start}>
            {items}
          </ol>
        ) : (
          <ul key={key}>{items}</ul>
        );
      }
      case "table":
        return (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
          <div key={key} className="md-table" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  {block.head.map((cell, c) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                    <th key={c} style={{ textAlign: block.align[c] ?? undefined }}>
                      {inline(cell)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {block.rows.map((row, r) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
                  <tr key={r}>
                    {block.head.map((_, c) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                      <td key={c} style={{ textAlign: block.align[c] ?? undefined }}>
                        {inline(row[c] ?? "")}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      case "rule":
        return <hr key={key} />;
      default: {
        const unreachable: never = block;
        return unreachable;
      }
    }
  });
}

/** Renders Markdown source as React elements (never as HTML). */
export const Markdown = memo(function Markdown({ source, className }: { source: string; className?: string }) {
  const blocks = parseBlocks(source);
  return <div className={className ? `md ${className}` : "md"}>{renderBlocks(blocks, headingTagsFor(blocks))}</div>;
});
