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
import { Fragment, memo, type ReactNode, useMemo, useRef } from "react";
import { CodeBlock } from "./CodeBlock.tsx";
import { type Inline, parseInline } from "./inline.ts";

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

function normalize(source: string): string {
  return source.replace(/\r\n?/g, "\n").replace(/\t/g, "    ");
}

/** Parses Markdown into blocks. Never throws. */
export function parseBlocks(source: string, depth = 0): Block[] {
  return parseLines(normalize(source).split("\n"), depth);
}

/** `onBlock` hears the line each top-level block starts on (for parseBlocksFrom). */
function parseLines(lines: readonly string[], depth: number, onBlock?: (line: number) => void): Block[] {
  const blocks: Block[] = [];
  let i = 0;

  while (i < lines.length) {
    const line = lines[i] ?? "";
    if (isBlank(line)) {
      i++;
      continue;
    }
    onBlock?.(i);

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

/** Blocks per sealed group: final blocks render as groups, so a delta re-renders a handful of components, not one per block. */
const GROUP = 16;

/** A parse that the next, longer version of the same text can start from. */
export interface BlockParse {
  /** The source as given. */
  raw: string;
  /**
   * The normalised source from `tailFrom` on: from the first block that was not final when it was
   * parsed. Only this part is parsed again when the text grows (the whole normalised source is
   * never built: copying it on every delta made streaming quadratic in the reply's length).
   */
  tail: string;
  tailFrom: number;
  blocks: Block[];
  /** Where each block starts in `source`. */
  starts: number[];
  /** How many blocks (from the first) no text added at the end can change. */
  final: number;
  /** The final blocks in groups of GROUP; a group keeps its identity in every later parse. */
  groups: Block[][];
  /** Heading levels (bit `level`) used by blocks[0..k], for each k. */
  levels: number[];
}

/**
 * How many blocks are final: the parser decides where a block ends by looking at most one line
 * ahead, so once the line a block starts on and the line after it are complete (both end with a
 * newline), every block before it was decided by text that can no longer change. Blocks before
 * `atLeast` were already final in a shorter version of the text.
 */
function finalBlocks(tail: string, tailFrom: number, starts: readonly number[], atLeast: number): number {
  for (let k = starts.length - 1; k > atLeast; k--) {
    const firstEnd = tail.indexOf("\n", (starts[k] ?? 0) - tailFrom);
    if (firstEnd !== -1 && tail.indexOf("\n", firstEnd + 1) !== -1) return k;
  }
  return atLeast;
}

function headingMask(blocks: readonly Block[]): number {
  let mask = 0;
  for (const block of blocks) {
    if (block.type === "heading") mask |= 1 << block.level;
    else if (block.type === "quote") mask |= headingMask(block.blocks);
    else if (block.type === "list") for (const item of block.items) mask |= headingMask(item.blocks);
  }
  return mask;
}

/**
 * Parses `source`, re-using what `previous` (a shorter version of the same text) found final: a
 * streamed reply is parsed from its last unfinished block on each delta, not from its start.
 */
export function parseBlocksFrom(raw: string, previous: BlockParse | null): BlockParse {
  // A continuation is normalised by its new part only (unless a "\r\n" may straddle the two).
  const continues = previous !== null && raw.startsWith(previous.raw) && !previous.raw.endsWith("\r");
  const keep = continues ? previous.final : 0;
  const from = continues ? (previous.starts[keep] ?? previous.tailFrom) : 0;
  const tail = continues
    ? previous.tail.slice(from - previous.tailFrom) + normalize(raw.slice(previous.raw.length))
    : normalize(raw);

  const lines = tail.split("\n");
  const lineStarts: number[] = [];
  for (let i = 0, offset = from; i < lines.length; i++) {
    lineStarts.push(offset);
    offset += (lines[i]?.length ?? 0) + 1;
  }
  const starts = continues ? previous.starts.slice(0, keep) : [];
  const parsedTail = parseLines(lines, 0, (line) => starts.push(lineStarts[line] ?? from));
  const blocks = continues && keep > 0 ? [...previous.blocks.slice(0, keep), ...parsedTail] : parsedTail;

  const levels = continues ? previous.levels.slice(0, keep) : [];
  for (let k = levels.length; k < blocks.length; k++)
    levels.push((levels[k - 1] ?? 0) | headingMask([blocks[k] as Block]));

  const final = finalBlocks(tail, from, starts, keep);
  const groups = continues ? previous.groups.slice() : [];
  while ((groups.length + 1) * GROUP <= final)
    groups.push(blocks.slice(groups.length * GROUP, (groups.length + 1) * GROUP));
  return { raw, tail, tailFrom: from, blocks, starts, final, groups, levels };
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

/**
 * A message sits under the page's h1, and the agent's `##`/`####` rarely start at `#` or go one step
 * at a time. Screen-reader users navigate by heading level, so the levels a message uses become
 * h2, h3, … in order: a message never skips a level and never competes with the page title.
 */
function headingTags(levels: number): Map<number, HeadingTag> {
  const used = [1, 2, 3, 4, 5, 6].filter((level) => levels & (1 << level));
  return new Map(used.map((level, rank) => [level, HEADING_TAGS[Math.min(rank, HEADING_TAGS.length - 1)] ?? "h6"]));
}

function renderBlocks(blocks: readonly Block[], headings: Map<number, HeadingTag>): ReactNode[] {
  return blocks.map((block, index) => renderBlock(block, index, headings));
}

function renderBlock(block: Block, key: number, headings: Map<number, HeadingTag>): ReactNode {
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
      return <CodeBlock key={key} code={block.code} lang={block.lang || null} />;
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
}

/** One block; a block kept from the previous parse is the same object, so it is not rendered again. */
const BlockView = memo(function BlockView({ block, headings }: { block: Block; headings: Map<number, HeadingTag> }) {
  return renderBlock(block, 0, headings);
});

/**
 * GROUP consecutive blocks. A sealed group (all final) is the same array in every later parse, so
 * a delta skips it whole; the open group at the end re-renders, and in it only the blocks that
 * changed. Open and sealed groups are the same component under the same key, so sealing one keeps
 * its DOM (a different component there would build the group's DOM a second time).
 */
const BlockGroup = memo(function BlockGroup({
  blocks,
  headings,
}: {
  blocks: readonly Block[];
  headings: Map<number, HeadingTag>;
}) {
  return blocks.map((block, index) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: blocks are positional; a kept block keeps its index
    <BlockView key={index} block={block} headings={headings} />
  ));
});

/** The blocks as groups of GROUP: the sealed ones from the parse, then the rest, sliced again. */
function blockGroups(parsed: BlockParse): (readonly Block[])[] {
  const groups: (readonly Block[])[] = parsed.groups.slice();
  for (let start = groups.length * GROUP; start < parsed.blocks.length; start += GROUP)
    groups.push(parsed.blocks.slice(start, start + GROUP));
  return groups;
}

/**
 * Renders Markdown source as React elements (never as HTML). While a reply streams in, a delta
 * parses and renders its unfinished last blocks only (parseBlocksFrom).
 */
export const Markdown = memo(function Markdown({ source, className }: { source: string; className?: string }) {
  const previous = useRef<BlockParse | null>(null);
  const parsed = parseBlocksFrom(source, previous.current);
  previous.current = parsed;
  const levels = parsed.levels[parsed.levels.length - 1] ?? 0;
  const headings = useMemo(() => headingTags(levels), [levels]);
  return (
    <div className={className ? `md ${className}` : "md"}>
      {blockGroups(parsed).map((group, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a group's index is its identity (groups only ever grow)
        <BlockGroup key={index} blocks={group} headings={headings} />
      ))}
    </div>
  );
});
