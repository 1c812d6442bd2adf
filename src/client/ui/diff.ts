/**
 * Line diffs for people to read on a phone: jsdiff's line diff, with the unchanged runs between
 * changes folded; unified diffs parsed for display, with word-level highlights. Imported only by
 * lazy chunks (the approval card, a step's detail, the changes sheet): jsdiff stays off the first
 * screen.
 */
import { diffWordsWithSpace, diffLines as jsDiffLines } from "diff";

export interface DiffLine {
  /** "gap": unchanged lines left out between two changes. */
  kind: "del" | "add" | "same" | "gap";
  /** A gap's text says where the next lines are (empty: just "unchanged lines"). */
  text: string;
  /** An edited line's words: `changed` ones differ from the paired removed/added line. */
  parts?: { text: string; changed: boolean }[];
}

export function linesOf(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * old → new as removed, added and unchanged lines (jsdiff's line diff: the fewest lines changed),
 * showing `context` unchanged lines around each change; longer unchanged runs between two
 * changes become one "gap" line. Two separate changes in one edit show as two, not as one block
 * of everything between them removed and added again.
 */
export function diffLines(oldText: string, newText: string, context = 1): DiffLine[] {
  const lines: DiffLine[] = [];
  for (const change of jsDiffLines(oldText, newText)) {
    const kind = change.added ? "add" : change.removed ? "del" : "same";
    for (const text of linesOf(change.value)) lines.push({ kind, text });
  }
  if (!lines.some((line) => line.kind !== "same")) return []; // no change
  const near = (index: number) => {
    for (let i = Math.max(0, index - context); i <= Math.min(lines.length - 1, index + context); i++) {
      if (lines[i]?.kind !== "same") return true;
    }
    return false;
  };
  let lastChange = lines.length - 1;
  while (lines[lastChange]?.kind === "same") lastChange--;
  const shown: DiffLine[] = [];
  lines.forEach((line, index) => {
    if (line.kind !== "same" || near(index)) shown.push(line);
    else if (index < lastChange && shown.length > 0 && shown[shown.length - 1]?.kind !== "gap")
      shown.push({ kind: "gap", text: "" });
  });
  return shown;
}

/** Leaves the word-level highlight out of lines longer than this (the diff is quadratic-ish, the highlight noise). */
const MAX_WORD_DIFF_CHARS = 2_000;

/**
 * A unified diff (`git diff`, jsdiff's patches; several files or patches one after another) as
 * lines to show: the header lines are left out, each hunk after the first change starts with a
 * "gap" line naming where it starts, and "\ No newline at end of file" is dropped.
 */
export function parseUnifiedDiff(patch: string): DiffLine[] {
  const lines: DiffLine[] = [];
  let inHunk = false;
  for (const raw of patch.split("\n")) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/.exec(raw);
    if (hunk) {
      inHunk = true;
      const start = Number(hunk[2]);
      if (lines.length > 0 || start > 1) {
        const section = hunk[3]?.trim();
        lines.push({ kind: "gap", text: `Line ${start}${section ? ` · ${section}` : ""}` });
      }
      continue;
    }
    if (raw.startsWith("diff --git ") || raw.startsWith("Index: ") || raw.startsWith("===")) {
      inHunk = false;
      continue;
    }
    if (!inHunk) continue;
    const mark = raw[0];
    if (mark === "+") lines.push({ kind: "add", text: raw.slice(1) });
    else if (mark === "-") lines.push({ kind: "del", text: raw.slice(1) });
    else if (mark === " ") lines.push({ kind: "same", text: raw.slice(1) });
    else if (mark !== "\\" && raw !== "") inHunk = false; // the next file's headers
  }
  return lines;
}

/**
 * Marks the words that changed on lines edited in place: each removed line of a block is paired
 * with the added line at the same position after it (jsdiff's word diff, spaces kept). A pair
 * with little in common is a replaced line, not an edited one, and gets no word highlight.
 */
export function withWordHighlights(lines: readonly DiffLine[]): DiffLine[] {
  const out = lines.map((line) => ({ ...line }));
  let i = 0;
  while (i < out.length) {
    if (out[i]?.kind !== "del") {
      i++;
      continue;
    }
    const delStart = i;
    while (out[i]?.kind === "del") i++;
    const addStart = i;
    while (out[i]?.kind === "add") i++;
    const pairs = Math.min(addStart - delStart, i - addStart);
    for (let k = 0; k < pairs; k++) {
      const del = out[delStart + k] as DiffLine;
      const add = out[addStart + k] as DiffLine;
      if (del.text.length > MAX_WORD_DIFF_CHARS || add.text.length > MAX_WORD_DIFF_CHARS) continue;
      const changes = diffWordsWithSpace(del.text, add.text);
      const common = changes.filter((c) => !c.added && !c.removed).reduce((n, c) => n + c.value.trim().length, 0);
      const longest = Math.max(del.text.trim().length, add.text.trim().length);
      if (longest === 0 || common / longest < 0.3) continue;
      del.parts = changes.filter((c) => !c.added).map((c) => ({ text: c.value, changed: c.removed === true }));
      add.parts = changes.filter((c) => !c.removed).map((c) => ({ text: c.value, changed: c.added === true }));
    }
  }
  return out;
}

/** Lines added and removed in a parsed diff. */
export function countChanges(lines: readonly DiffLine[]): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const line of lines) {
    if (line.kind === "add") additions++;
    else if (line.kind === "del") deletions++;
  }
  return { additions, deletions };
}
