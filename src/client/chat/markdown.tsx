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
import { createContext, memo, type ReactElement, type ReactNode, useContext, useMemo, useRef } from "react";
import { CodeBlock } from "./CodeBlock.tsx";
import { ElementTree, FAN, type NodeElement } from "./elementTree.ts";
import { type Inline, parseInlineRecent } from "./inline.ts";
import { addedText, lastCharacter, type ReplyText } from "./streamedText.ts";

// ---------------------------------------------------------------------------
// Block model
// ---------------------------------------------------------------------------

export type Block =
  /** `open`: a streaming reply's heading still being written (shown only, never parsed so). */
  | { type: "heading"; level: 1 | 2 | 3 | 4 | 5 | 6; text: string; open?: true }
  /** `open`: a streaming reply's last paragraph, which more text will follow (shown only, never parsed so). */
  | { type: "paragraph"; text: string; open?: true }
  | { type: "code"; lang: string; code: string }
  | { type: "quote"; blocks: Block[] }
  /** `end`: shown in place of the last item (a streaming reply's end, withOpenEnd; never parsed so). */
  | { type: "list"; ordered: boolean; start: number; items: ListItem[]; end?: ListItem }
  /** `end`: shown in place of the last row, its last cell open (a row being written; never parsed so). */
  | { type: "table"; align: CellAlign[]; head: string[]; rows: string[][]; end?: string[] }
  | { type: "rule" };

export type CellAlign = "left" | "center" | "right" | null;

export interface ListItem {
  checked: boolean | null;
  blocks: Block[];
}

/** A task list item's box, which the space after it makes one. */
const TASK = /^\[([ xX])\]\s+/;
/** A list item's text that is a task's box still waiting for that space. */
const TASK_BOX_BEING_WRITTEN = /^\[[ xX]\]$/;
/** A closing fence: one of these runs alone on its line. */
const BACKTICKS = /^`+$/;
const TILDES = /^~+$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^( {0,12})([-*+]|\d{1,9}[.)])(\s+|$)(.*)$/;
/** The first character of a line after a blank one that ends any list before it. */
const ENDS_LIST = /^[^\s\-*+\d]/;
/** A list item's line with its marker and a space after it: whatever follows, it is an item. */
const ITEM_BEGUN = /^ {0,12}(?:[-*+]|\d{1,9}[.)])[ \t]/;
/** The most characters ITEM_BEGUN reads. */
const ITEM_BEGUN_SPAN = 24;
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
  let from = 0;
  let inCode = false;
  // Copies the text between the characters that matter (`\|`, `` ` ``, `|`), not one character at a time.
  for (let i = 0; i < row.length; i++) {
    const ch = row[i];
    if (ch === "\\" && row[i + 1] === "|") {
      cell += `${row.slice(from, i)}|`;
      from = i + 2;
      i++;
    } else if (ch === "`") {
      inCode = !inCode;
    } else if (ch === "|" && !inCode) {
      cells.push((cell + row.slice(from, i)).trim());
      cell = "";
      from = i + 1;
    }
  }
  cells.push((cell + row.slice(from)).trim());
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
  // Most deltas hold neither: looking is cheaper than two replaces that find nothing.
  const lines = source.includes("\r") ? source.replace(/\r\n?/g, "\n") : source;
  return lines.includes("\t") ? lines.replace(/\t/g, "    ") : lines;
}

/** Parses Markdown into blocks. Never throws. */
export function parseBlocks(source: string, depth = 0): Block[] {
  return parseLines(normalize(source).split("\n"), depth);
}

/**
 * A list or table whose first items or rows a shorter version of the text settled: the parse goes
 * on reading it from the line after them.
 */
type OpenBlock = Extract<Block, { type: "list" | "table" }>;

/** What parseBlocksFrom hears about the top-level blocks it parses. */
interface ParseListener {
  /** The line a block starts on. */
  block(line: number): void;
  /** The line an item of a top-level list (`indent`: the list's), or a row of a top-level table, starts on. */
  part(line: number, indent: number): void;
}

/**
 * `open`, when given, is read on from the first line (its items or rows so far are kept); the
 * listener hears the blocks after it.
 */
function parseLines(
  lines: readonly string[],
  depth: number,
  listener?: ParseListener,
  open?: { block: OpenBlock; indent: number },
): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  if (open?.block.type === "list") {
    const items = [...open.block.items];
    i = readListItems(lines, 0, depth, open.block.ordered, open.indent, items, listener);
    blocks.push({ ...open.block, items });
  } else if (open?.block.type === "table") {
    const rows = [...open.block.rows];
    i = readTableRows(lines, 0, rows, listener);
    blocks.push({ ...open.block, rows });
  }

  while (i < lines.length) {
    const line = lines[i] ?? "";
    if (isBlank(line)) {
      i++;
      continue;
    }
    listener?.block(i);

    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] ?? "```";
      const indent = line.length - line.trimStart().length;
      const code: string[] = [];
      i++;
      while (i < lines.length) {
        const current = lines[i] ?? "";
        const trimmed = current.trim();
        if (trimmed.length >= marker.length && (marker[0] === "`" ? BACKTICKS : TILDES).test(trimmed)) {
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
      const start = ordered ? Number.parseInt(item[2] ?? "1", 10) : 1;
      const items: ListItem[] = [];
      i = readListItems(lines, i, depth, ordered, item[1]?.length ?? 0, items, listener);
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
      i = readTableRows(lines, i + 2, rows, listener);
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

/**
 * Reads a list's items from line `i` into `items`, and returns the line after the list. An item
 * depends only on the list's kind, its indent and the lines from its own first one, so a list can
 * be read on from any of its items. `listener` (top level only) hears where each item starts.
 */
function readListItems(
  lines: readonly string[],
  from: number,
  depth: number,
  ordered: boolean,
  baseIndent: number,
  items: ListItem[],
  listener?: ParseListener,
): number {
  let i = from;
  while (i < lines.length) {
    const current = lines[i] ?? "";
    const match = LIST_ITEM.exec(current);
    if (!match || (match[1]?.length ?? 0) > baseIndent + 1 || /\d/.test(match[2] ?? "") !== ordered) break;
    if ((match[1]?.length ?? 0) < baseIndent) break;
    if (depth === 0) listener?.part(i, baseIndent);
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
    const task = TASK.exec(text);
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
  return i;
}

/** Reads a table's rows from line `i` into `rows`, and returns the line after the table. */
function readTableRows(lines: readonly string[], from: number, rows: string[][], listener?: ParseListener): number {
  let i = from;
  while (i < lines.length && !isBlank(lines[i] ?? "") && (lines[i] ?? "").includes("|")) {
    listener?.part(i, 0);
    rows.push(splitRow(lines[i] ?? ""));
    i++;
  }
  return i;
}

/** A parse that the next, longer version of the same text can start from. */
export interface BlockParse {
  /** The source as given. */
  raw: ReplyText;
  /**
   * The normalised source from `tailFrom` on: from the first block that was not final when it was
   * parsed. Only this part is parsed again when the text grows (the whole normalised source is
   * never built: copying it on every delta made streaming quadratic in the reply's length).
   */
  tail: string;
  tailFrom: number;
  blocks: Block[];
  /** The first block parsed from `tail`; the ones before it were kept from the previous parse. */
  tailBlock: number;
  /**
   * Where blocks[tailBlock + j] starts in the normalised source. Kept for the tail only, as the
   * heading levels below: what the next parse needs, without copying a list as long as the reply.
   */
  tailStarts: number[];
  /** How many blocks (from the first) no text added at the end can change. */
  final: number;
  /** Heading levels (bit `level`) used by the blocks before tailBlock. */
  levelsBefore: number;
  /** Heading levels used by blocks[0..tailBlock + j], for each j. */
  tailLevels: number[];
  /** The first block that is not final, when it is a list or table: read on from its settled items or rows. */
  open: OpenParts | null;
}

/**
 * How many blocks are final. The parser decides where a block ends by looking at most one line
 * ahead, so once the line a block starts on and the line after it are complete (both end with a
 * newline), every block before it was decided by text that can no longer change. A block other
 * than a list is also decided by a blank line after it (nothing continues a paragraph, table,
 * quote, heading or closed fence past one), so the block after that blank line is the only one
 * left open, even while its first line is still arriving. Blocks before `tailBlock` were final in
 * a shorter version of the text; `blocks` are the ones from there on.
 */
function finalBlocks(
  tail: string,
  tailFrom: number,
  tailStarts: readonly number[],
  tailBlock: number,
  blocks: readonly Block[],
): number {
  for (let j = tailStarts.length - 1; j > 0; j--) {
    const start = (tailStarts[j] ?? 0) - tailFrom;
    const firstEnd = tail.indexOf("\n", start);
    if (firstEnd !== -1 && tail.indexOf("\n", firstEnd + 1) !== -1) return tailBlock + j;
    if (tail.charAt(start - 1) === "\n" && tail.charAt(start - 2) === "\n") {
      // A list goes on past a blank line only into an indented line or another item: a line that
      // begins at the margin with anything else ends it.
      if (blocks[j - 1]?.type !== "list" || ENDS_LIST.test(tail.charAt(start))) return tailBlock + j;
    }
  }
  return tailBlock;
}

function sameStrings(a: readonly (string | null)[], b: readonly (string | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `next`, or `previous` where it equals it, parts and all: equal items, rows and blocks keep their identity. */
function shareBlocks(previous: readonly Block[], next: Block[]): Block[] {
  let same = previous.length === next.length;
  for (let i = 0; i < next.length; i++) {
    const kept = share(previous[i], next[i] as Block);
    if (kept !== previous[i]) same = false;
    next[i] = kept;
  }
  return same ? (previous as Block[]) : next;
}

function shareItem(previous: ListItem | undefined, next: ListItem): ListItem {
  if (previous === next || !previous || previous.checked !== next.checked) return next;
  const blocks = shareBlocks(previous.blocks, next.blocks);
  return blocks === previous.blocks ? previous : { checked: next.checked, blocks };
}

/**
 * `next` itself, or `previous` when the two are equal; when they differ, the equal parts of
 * `next` (list items, table rows, a quote's blocks) are `previous`'s. Rendering memoises on
 * identity, so only what the new text changed renders again.
 */
function share(previous: Block | undefined, next: Block): Block {
  // The same object: a list's or table's settled items and rows, kept by the parse (resumable).
  if (previous === next || !previous || previous.type !== next.type) return next;
  switch (next.type) {
    case "heading": {
      const p = previous as typeof next;
      return p.level === next.level && p.text === next.text ? p : next;
    }
    case "paragraph":
      return (previous as typeof next).text === next.text ? previous : next;
    case "code": {
      const p = previous as typeof next;
      return p.lang === next.lang && p.code === next.code ? p : next;
    }
    case "rule":
      return previous;
    case "quote": {
      const p = previous as typeof next;
      const blocks = shareBlocks(p.blocks, next.blocks);
      return blocks === p.blocks ? p : { type: "quote", blocks };
    }
    case "list": {
      const p = previous as typeof next;
      let same = p.ordered === next.ordered && p.start === next.start && p.items.length === next.items.length;
      // Copied only when an item is swapped for its equal: a long open list read on from its settled
      // items (resumable) has them already, and copying it on every delta is what made it slow.
      let items: ListItem[] | null = null;
      next.items.forEach((item, i) => {
        const before = p.items[i];
        if (before === item) return;
        const kept = shareItem(before, item);
        if (kept !== before) same = false;
        if (kept !== item) {
          items ??= next.items.slice();
          items[i] = kept;
        }
      });
      return same ? p : items ? { ...next, items } : next;
    }
    case "table": {
      const p = previous as typeof next;
      const align = sameStrings(p.align, next.align) ? p.align : next.align;
      const head = sameStrings(p.head, next.head) ? p.head : next.head;
      let same = align === p.align && head === p.head && p.rows.length === next.rows.length;
      let rows: string[][] | null = null;
      next.rows.forEach((row, r) => {
        const before = p.rows[r];
        if (before === row) return;
        if (before && sameStrings(before, row)) {
          rows ??= next.rows.slice();
          rows[r] = before;
        } else same = false;
      });
      if (same) return p;
      return align === next.align && head === next.head && !rows
        ? next
        : { type: "table", align, head, rows: rows ?? next.rows };
    }
    default: {
      const unreachable: never = next;
      return unreachable;
    }
  }
}

function headingMask(block: Block): number {
  if (block.type === "heading") return 1 << block.level;
  let mask = 0;
  if (block.type === "quote") for (const inner of block.blocks) mask |= headingMask(inner);
  else if (block.type === "list") mask = itemsHeadingMask(block.items, 0, block.items.length);
  return mask;
}

/** The heading levels used by items[from..to) (a heading may sit inside a list item). */
function itemsHeadingMask(items: readonly ListItem[], from: number, to: number): number {
  let mask = 0;
  for (let i = from; i < to; i++) for (const inner of items[i]?.blocks ?? []) mask |= headingMask(inner);
  return mask;
}

/**
 * A tail block's heading levels. The open list read on from its settled items (resumed) adds only
 * its new items' to theirs: walking all of them on every delta made a long list's stream quadratic.
 */
function tailHeadingMask(block: Block, resumed: OpenParts | undefined): number {
  if (!resumed || block.type !== "list") return headingMask(block);
  return resumed.headings | itemsHeadingMask(block.items, resumed.settled, block.items.length);
}

/**
 * Parses `source`, re-using what `previous` (a shorter version of the same text) found final: a
 * streamed reply is parsed from its last unfinished block on each delta, not from its start.
 */
export function parseBlocksFrom(raw: ReplyText, previous: BlockParse | null): BlockParse {
  // A continuation is normalised by its new part only (unless a "\r\n" may straddle the two).
  const added = previous !== null && lastCharacter(previous.raw) !== "\r" ? addedText(raw, previous.raw) : null;
  const continues = previous !== null && added !== null;
  const keep = continues ? previous.final : 0;
  const blockFrom = continues ? (previous.tailStarts[keep - previous.tailBlock] ?? previous.tailFrom) : 0;
  // A long list or table stays open while it streams: read it on from its first unsettled item or
  // row rather than again from its start (which made each delta cost as much as the whole block).
  const resumed = continues ? resumable(previous, keep) : null;
  const from = resumed ? resumed.from : blockFrom;
  if (continues && from < previous.tailFrom) return parseBlocksFrom(raw, null); // never: the tail holds every open block

  const tail = continues ? previous.tail.slice(from - previous.tailFrom) + normalize(added) : normalize(String(raw));
  const lines = tail.split("\n");
  const lineStarts: number[] = [];
  for (let i = 0, offset = from; i < lines.length; i++) {
    lineStarts.push(offset);
    offset += (lines[i]?.length ?? 0) + 1;
  }
  const tailStarts: number[] = resumed ? [blockFrom] : [];
  /** Per tail block: where its items or rows start (for a list or table), and the list's indent. */
  const tailParts: { starts: number[]; indent: number }[] = resumed
    ? [{ starts: [...resumed.open.starts], indent: resumed.open.indent }]
    : [];
  const parsedTail = parseLines(
    lines,
    0,
    {
      block: (line) => {
        tailStarts.push(lineStarts[line] ?? from);
        tailParts.push({ starts: [], indent: 0 });
      },
      part: (line, indent) => {
        const parts = tailParts[tailParts.length - 1];
        parts?.starts.push(lineStarts[line] ?? from);
        if (parts) parts.indent = indent;
      },
    },
    resumed ? { block: resumed.block, indent: resumed.open.indent } : undefined,
  );
  const blocks = continues ? previous.blocks.slice(0, keep) : [];
  // A re-parsed block that came out as it was keeps its identity (and so its rendering): most of a
  // delta's re-parse is the block before the open one, unchanged, or the open one's earlier rows.
  for (const block of parsedTail) blocks.push(previous ? share(previous.blocks[blocks.length], block) : block);

  const levelsBefore = continues ? levelsThrough(previous, keep - 1) : 0;
  const tailLevels: number[] = [];
  parsedTail.forEach((block, j) => {
    const mask = tailHeadingMask(block, j === 0 ? resumed?.open : undefined);
    tailLevels.push((tailLevels[tailLevels.length - 1] ?? levelsBefore) | mask);
  });

  const final = finalBlocks(tail, from, tailStarts, keep, parsedTail);
  // The parts of the block the next parse starts at (the first one not final), when it is a list or table.
  const next = final - keep;
  const nextParts = tailParts[next];
  const nextBlock = parsedTail[next];
  let open: OpenParts | null = null;
  if (nextParts && (nextBlock?.type === "list" || nextBlock?.type === "table")) {
    const before = next === 0 && resumed ? resumed.open : { settled: 0, headings: 0 };
    const count = settled(tail, from, nextParts.starts, before.settled, nextBlock.type);
    const headings =
      nextBlock.type === "list" ? before.headings | itemsHeadingMask(nextBlock.items, before.settled, count) : 0;
    open = { starts: nextParts.starts, indent: nextParts.indent, settled: count, headings };
  }
  return { raw, tail, tailFrom: from, blocks, tailBlock: keep, tailStarts, final, levelsBefore, tailLevels, open };
}

/**
 * The parse's first block that is not final, when it is a list or a table: where its items or rows
 * start in the normalised source, and how many of them are settled.
 */
interface OpenParts {
  starts: number[];
  /** A list's indent (its items are read with it). */
  indent: number;
  settled: number;
  /** The heading levels used by the settled items (a list's; 0 for a table). */
  headings: number;
}

/**
 * The block this parse starts at, when it is the previous parse's open list or table and some of
 * its items or rows are settled: those kept, and where to read on.
 */
function resumable(previous: BlockParse, keep: number): { block: OpenBlock; open: OpenParts; from: number } | null {
  const block = previous.blocks[keep];
  const open = previous.open;
  if (!open || open.settled === 0) return null;
  const from = open.starts[open.settled];
  if (from === undefined) return null;
  const kept = { ...open, starts: open.starts.slice(0, open.settled) };
  if (block?.type === "list")
    return { block: { ...block, items: block.items.slice(0, open.settled) }, open: kept, from };
  if (block?.type === "table")
    return { block: { ...block, rows: block.rows.slice(0, open.settled) }, open: kept, from };
  return null;
}

/**
 * How many of a list's items or a table's rows are settled, by the rule finalBlocks uses for
 * blocks: the parser ends an item or row by looking at most one line ahead, so once the line the
 * next one starts on and the line after it are complete, the ones before it can no longer change.
 * Sooner for a table, whose rows are one line each: a row is settled once the next one has begun.
 * Sooner for a list too, once the next item's marker and the space after it are in: nothing later
 * in that line changes where the item before it ends. The first `atLeast` were settled by an
 * earlier parse (they start before `tailFrom`).
 */
function settled(
  tail: string,
  tailFrom: number,
  parts: readonly number[],
  atLeast: number,
  kind: OpenBlock["type"],
): number {
  for (let j = parts.length - 1; j > atLeast; j--) {
    const start = (parts[j] ?? 0) - tailFrom;
    if (kind === "table" || ITEM_BEGUN.test(tail.slice(start, start + ITEM_BEGUN_SPAN))) return j;
    const firstEnd = tail.indexOf("\n", start);
    if (firstEnd !== -1 && tail.indexOf("\n", firstEnd + 1) !== -1) return j;
  }
  return atLeast;
}

/** The heading levels used by blocks[0..k] (for k from tailBlock - 1 on). */
function levelsThrough(parsed: BlockParse, k: number): number {
  return k < parsed.tailBlock ? parsed.levelsBefore : (parsed.tailLevels[k - parsed.tailBlock] ?? 0);
}

/** The heading levels (bit `level`) the parse's blocks use, headings inside lists and quotes included. */
export function headingLevels(parsed: BlockParse): number {
  return levelsThrough(parsed, parsed.blocks.length - 1);
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/** Inline code up to this many characters never wraps (it fits a 320 px line in 13 px mono). */
const SHORT_INLINE_CODE = 24;

function renderInline(nodes: readonly Inline[]): ReactNode[] {
  return nodes.map(renderInlineNode);
}

function renderInlineNode(node: Inline, key: number): ReactNode {
  switch (node.type) {
    case "text":
      // A bare string: a Fragment around it would be one more fiber per run of text.
      return node.text;
    case "break":
      return <br key={key} />;
    case "code":
      return (
        // A short span (`--retry`, a file name) stays on one line: broken at its hyphen it reads as
        // two things. A long one may wrap anywhere rather than overflow a phone's line.
        <code key={key} className={node.text.length <= SHORT_INLINE_CODE ? "md-code-inline nowrap" : "md-code-inline"}>
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
}

function inline(text: string, open = false): ReactNode[] {
  return renderInline(parseInlineRecent(text, open));
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

/** What each heading level renders as; a context, so a new level re-renders the headings, not every block. */
const HeadingTags = createContext<Map<number, HeadingTag>>(new Map());

function Heading({ level, text, open }: { level: 1 | 2 | 3 | 4 | 5 | 6; text: string; open?: boolean }) {
  const Tag = useContext(HeadingTags).get(level) ?? "h6";
  return <Tag className={`md-h md-h${level}`}>{inline(text, open)}</Tag>;
}

/** The text ends in a heading's `#`s: the next character may add one, so its level is not known yet. */
const UNFINISHED_HEADING = /(?:^|\n) {0,3}#{1,6}$/;

/**
 * The heading levels the blocks use (bit `level`), leaving out a last heading whose marker is still
 * being written: streamed "## Step" passes through "#", which would otherwise rank a level 1 for one
 * frame and move every other heading down a tag and back.
 */
function rankedLevels(parsed: BlockParse): number {
  const last = parsed.blocks.length - 1;
  const block = parsed.blocks[last];
  const unfinished = block?.type === "heading" && block.text === "" && UNFINISHED_HEADING.test(parsed.tail);
  return levelsThrough(parsed, unfinished ? last - 1 : last);
}

function renderBlocks(blocks: readonly Block[]): ReactNode[] {
  return blocks.map((block, index) => renderBlock(block, index));
}

function renderBlock(block: Block, key: number): ReactNode {
  switch (block.type) {
    case "heading":
      return <Heading key={key} level={block.level} text={block.text} open={block.open} />;
    case "paragraph": {
      const nodes = parseInlineRecent(block.text, block.open === true);
      // An open paragraph of markers only ("**", a lone backtick) waits for what follows them.
      if (nodes.length === 0) return null;
      return nodes.length > LONG_INLINE ? (
        <LongParagraph key={key} nodes={nodes} />
      ) : (
        <p key={key}>{renderInline(nodes)}</p>
      );
    }
    case "code":
      return <CodeBlock key={key} code={block.code} lang={block.lang || null} />;
    case "quote":
      return <blockquote key={key}>{renderBlocks(block.blocks)}</blockquote>;
    case "list":
      return block.items.length > FAN ? <LongList key={key} block={block} /> : renderList(block, key);
    case "table":
      return (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <div key={key} className="md-table" tabIndex={0}>
          <table>
            <thead>
              <TableRow cells={block.head} columns={block.head.length} align={block.align} head />
            </thead>
            {block.rows.length > FAN ? (
              <LongTableBody rows={block.rows} end={block.end} columns={block.head.length} align={block.align} />
            ) : (
              <tbody>{renderTableRows(block)}</tbody>
            )}
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

type TableBlock = Extract<Block, { type: "table" }>;

/** A short table's rows, its `end` in place of the last (its last cell open). */
function renderTableRows(block: TableBlock): ReactElement[] {
  const last = block.rows.length - 1;
  return block.rows.map((row, r) => {
    const end = r === last ? block.end : undefined;
    return (
      // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
      <TableRow key={r} cells={end ?? row} columns={block.head.length} align={block.align} open={end !== undefined} />
    );
  });
}

type ListBlock = Extract<Block, { type: "list" }>;

function renderList(block: ListBlock, key: number | undefined, items: ReactNode = renderListItems(block)) {
  return block.ordered ? (
    <ol key={key} start={block.start === 1 ? undefined : block.start}>
      {items}
    </ol>
  ) : (
    <ul key={key}>{items}</ul>
  );
}

/**
 * A long list, its items in an element tree: while it streams, a delta renders the path to its
 * last item, not an element for every item. (A short one is cheaper without the tree.)
 */
function LongList({ block }: { block: ListBlock }) {
  const tree = useRef<ElementTree<ListItem> | null>(null);
  tree.current ??= new ElementTree();
  return renderList(block, undefined, tree.current.update(block.items, renderListItem, 0, block.end));
}

/** A short list's items, its `end` in place of the last. */
function renderListItems(block: ListBlock): ReactElement[] {
  const last = block.items.length - 1;
  return block.items.map((item, index) => renderListItem(index === last && block.end ? block.end : item, index));
}

function renderListItem(item: ListItem, index: number): ReactElement {
  return <ListItemView key={index} item={item} />;
}

/** A long table's rows in an element tree, as a long list's items (LongList). */
function LongTableBody({
  rows,
  end,
  columns,
  align,
}: {
  rows: readonly string[][];
  /** The last row as it shows while it is being written (its last cell open). */
  end: string[] | undefined;
  columns: number;
  align: readonly CellAlign[];
}) {
  const tree = useRef<{ rows: ElementTree<string[]>; columns: number; align: readonly CellAlign[] } | null>(null);
  // A row's element carries the table's columns and alignment: when they change, every row renders again.
  if (!tree.current || tree.current.columns !== columns || tree.current.align !== align)
    tree.current = { rows: new ElementTree(), columns, align };
  const body = tree.current.rows.update(
    rows,
    (row, r) => <TableRow key={r} cells={row} columns={columns} align={align} open={row === end} />,
    0,
    end,
  );
  return <tbody>{body}</tbody>;
}

/** Inline nodes (runs of text, code spans, links…) past which a paragraph renders them as a tree. */
const LONG_INLINE = 64;

/**
 * A long paragraph, its inline nodes in an element tree (as LongList its items): the nodes a delta
 * did not parse again are the same objects (parseInlineFrom), so they keep their elements, and a
 * delta renders the path to its last nodes, not an element for each.
 */
function LongParagraph({ nodes }: { nodes: readonly Inline[] }) {
  const tree = useRef<ElementTree<Inline> | null>(null);
  tree.current ??= new ElementTree();
  return <p>{tree.current.update(nodes, renderInlineNode)}</p>;
}

/** One list item; an item kept from the previous parse (share) is not rendered again. */
const ListItemView = memo(function ListItemView({ item }: { item: ListItem }) {
  return (
    <li className={item.checked === null ? undefined : "md-task"}>
      {item.checked === null ? null : (
        <input type="checkbox" checked={item.checked} disabled aria-label={item.checked ? "done" : "not done"} />
      )}
      {renderBlocks(item.blocks)}
    </li>
  );
});

/** One style object per alignment: React skips a style prop that is the same object as before. */
const ALIGN_STYLES = {
  left: { textAlign: "left" },
  center: { textAlign: "center" },
  right: { textAlign: "right" },
} as const;

/**
 * One row, as many cells as the head has; a row kept from the previous parse (share) is not
 * rendered again, so a streaming table renders only its last row per delta.
 */
const TableRow = memo(function TableRow({
  cells,
  columns,
  align,
  head = false,
  open = false,
}: {
  cells: readonly string[];
  columns: number;
  align: readonly CellAlign[];
  head?: boolean;
  /** A row being written: its last cell so far is the reply's end (parsed open). */
  open?: boolean;
}) {
  const Cell = head ? "th" : "td";
  const row: ReactNode[] = [];
  for (let c = 0; c < columns; c++) {
    const side = align[c];
    row.push(
      <Cell key={c} style={side ? ALIGN_STYLES[side] : undefined}>
        {inline(cells[c] ?? "", open && c === cells.length - 1)}
      </Cell>,
    );
  }
  return <tr>{row}</tr>;
});

/** A group of blocks in a long reply: a box of its own (see Markdown). */
const blockGroup: NodeElement = (key, children) => (
  <div key={key} className="md-group">
    {children}
  </div>
);

/** A paragraph's line (trimmed) that may be a table's head: the line after it decides. */
const MAY_HEAD_TABLE = /^\|/;
/** An unfinished line that may still become a table's delimiter row. */
const MAY_DELIMIT_TABLE = /^[\s:|-]*$/;
/**
 * An unfinished line that may still become a fence (a code block). Not digits, which may become a
 * numbered item: a text block can end on a number (the agent then works for minutes), and a number
 * hidden that long is worse than a digit shown as a paragraph for one delta.
 */
const MAY_OPEN_BLOCK = /^(?:`{1,2}|~{1,2})$/;
/**
 * The text ends with a blank line: the paragraph before it is over, whatever comes. Read from the
 * end: a regular expression anchored at the end tries every position of the text, and a long
 * paragraph's whole text is the tail on every delta.
 */
function endsWithBlankLine(text: string): boolean {
  let i = text.length - 1;
  while (text[i] === " " || text[i] === "\t") i--;
  if (text[i] !== "\n") return false;
  i--;
  while (text[i] === " " || text[i] === "\t") i--;
  return text[i] === "\n";
}

/**
 * While a reply streams, its last paragraph without the lines that may yet turn out to be
 * something else: a table's head (until the line after it shows whether it is one), the start
 * of a fence. Shown as a paragraph, they flashed as raw Markdown for a
 * frame or two, and their paragraph was built only to be replaced. Null: the block is shown
 * whole; "": nothing of it yet.
 */
function settledParagraph(block: Block, ends: TextEnd): string | null {
  if (block.type !== "paragraph" || ends === "blank line") return null;
  // Its last two lines, found from the end (a long paragraph is not split on every delta).
  const { text } = block;
  const lastStart = text.lastIndexOf("\n") + 1;
  const lastLine = text.slice(lastStart);
  const beforeStart = lastStart > 0 ? text.lastIndexOf("\n", lastStart - 2) + 1 : 0;
  const unfinished = ends === "open";
  /** Where the shown text ends: before the last line, or the two last lines. */
  let end = text.length;
  if ((unfinished && MAY_OPEN_BLOCK.test(lastLine)) || MAY_HEAD_TABLE.test(lastLine)) end = lastStart - 1;
  // The head, and under it the start of what may be its delimiter row.
  if (
    unfinished &&
    lastStart > 0 &&
    MAY_DELIMIT_TABLE.test(lastLine) &&
    MAY_HEAD_TABLE.test(text.slice(beforeStart, lastStart - 1))
  )
    end = beforeStart - 1;
  if (end === text.length) return null;
  return end < 0 ? "" : text.slice(0, end);
}

/**
 * `block` with its last paragraph (at any depth: a list's last item, a quote's end), or its table's
 * row or heading being written (`midLine`), marked open: a streaming reply's end, where markers
 * whose closers are still to come show what they will become (parseInline), not as Markdown that
 * turns into it a delta later.
 */
function withOpenEnd(block: Block, midLine: boolean): Block {
  switch (block.type) {
    case "paragraph":
      return { type: "paragraph", text: block.text, open: true };
    case "heading":
      // A heading ends with its line.
      return midLine ? { ...block, open: true } : block;
    case "quote": {
      const last = block.blocks[block.blocks.length - 1];
      const end = last && withOpenEnd(last, midLine);
      return !end || end === last ? block : { type: "quote", blocks: [...block.blocks.slice(0, -1), end] };
    }
    case "list": {
      // The last item as `end`: a long list's items are not copied on every delta.
      const item = block.items[block.items.length - 1];
      const last = item?.blocks[item.blocks.length - 1];
      // A task's box being written (`- [x]`) shows nothing until the space after it makes it the checkbox.
      if (midLine && item?.blocks.length === 1 && last?.type === "paragraph" && TASK_BOX_BEING_WRITTEN.test(last.text))
        return { ...block, end: { checked: null, blocks: [] } };
      const end = last && withOpenEnd(last, midLine);
      if (!item || !end || end === last) return block;
      return { ...block, end: { checked: item.checked, blocks: [...item.blocks.slice(0, -1), end] } };
    }
    case "table": {
      // A row ends with its line: only one still being written has an open last cell. A copy, so
      // the row shows again when it is finished (rows are kept by identity).
      const row = block.rows[block.rows.length - 1];
      return midLine && row ? { ...block, end: [...row] } : block;
    }
    default:
      return block;
  }
}

/**
 * While streaming, how the last block shows: as settledParagraph has it (null: not at all), its
 * end open (withOpenEnd) unless a blank line has ended it. `previous`: the last call's, kept when
 * the block and the way the text ends are the same.
 */
export function shownEnd(parsed: BlockParse, previous: ShownEnd | null): ShownEnd | null {
  const last = parsed.blocks[parsed.blocks.length - 1];
  if (!last) return null;
  // What it shows depends on the block and on how the text ends (a line or a blank line ended).
  const ends: TextEnd = endsWithBlankLine(parsed.tail) ? "blank line" : parsed.tail.endsWith("\n") ? "line" : "open";
  if (previous?.last === last && previous.ends === ends) return previous;
  const text = settledParagraph(last, ends);
  let shown: Block | null = text === null ? last : text === "" ? null : { type: "paragraph", text };
  if (shown && ends !== "blank line") shown = withOpenEnd(shown, ends === "open");
  return { last, ends, shown };
}

/** How a streaming text ends: mid-line, with a finished line, or with a blank line. */
type TextEnd = "open" | "line" | "blank line";

export interface ShownEnd {
  last: Block;
  ends: TextEnd;
  shown: Block | null;
}

/**
 * Renders Markdown source as React elements (never as HTML). While a reply streams in (a
 * StreamedText), a delta parses and renders its unfinished last blocks only (parseBlocksFrom), and
 * lines whose kind the next delta may change wait for it (settledParagraph).
 */
export const Markdown = memo(function Markdown({ source, className }: { source: ReplyText; className?: string }) {
  const previous = useRef<BlockParse | null>(null);
  const tree = useRef<{ grouped: boolean; blocks: ElementTree<Block> } | null>(null);
  const end = useRef<ShownEnd | null>(null);
  const parsed = parseBlocksFrom(source, previous.current);
  previous.current = parsed;
  // Past FAN blocks, the tree's nodes are boxes: the browser lays out a changed block's group and
  // the groups around it, not every block of the reply, after each delta. (Fewer blocks stay flat,
  // as short replies' DOM always was; the change to groups builds the first blocks' DOM again, once.)
  const grouped = parsed.blocks.length > FAN;
  if (tree.current?.grouped !== grouped)
    tree.current = { grouped, blocks: new ElementTree(grouped ? blockGroup : undefined) };
  const levels = rankedLevels(parsed);
  const headings = useMemo(() => headingTags(levels), [levels]);
  // A finished reply (a string) shows its blocks as they are.
  const shown = typeof source === "string" ? null : shownEnd(parsed, end.current);
  end.current = shown;
  return (
    <div className={className ? `md ${className}` : "md"}>
      <HeadingTags value={headings}>
        {tree.current.blocks.update(parsed.blocks, renderBlock, parsed.tailBlock, shown?.shown)}
      </HeadingTags>
    </div>
  );
});
