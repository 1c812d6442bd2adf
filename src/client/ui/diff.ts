/**
 * Line diffs for people to read on a phone: jsdiff's line diff, with the unchanged runs between
 * changes folded. Imported only by lazy chunks (the approval card, a step's detail): jsdiff stays
 * off the first screen.
 */
import { diffLines as jsDiffLines } from "diff";

export interface DiffLine {
  /** "gap": unchanged lines left out between two changes. */
  kind: "del" | "add" | "same" | "gap";
  text: string;
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
