/**
 * One line about a set of changed files, e.g. "3 files changed · +20 −4". On the first screen
 * (a turn's footer), so it stays tiny; the diffs themselves are in the changes sheet's chunk.
 */
export interface CountedFile {
  additions: number;
  deletions: number;
}

export function totals(files: readonly CountedFile[]): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const file of files) {
    additions += file.additions;
    deletions += file.deletions;
  }
  return { additions, deletions };
}

/** "1 file changed · +2 −0". The minus is U+2212, as in print. */
export function changeSummary(files: readonly CountedFile[]): string {
  const { additions, deletions } = totals(files);
  return `${files.length} ${files.length === 1 ? "file" : "files"} changed · +${additions} −${deletions}`;
}

/** The same for a screen reader: "3 files changed, 20 lines added, 4 removed". */
export function changeSummaryLabel(files: readonly CountedFile[]): string {
  const { additions, deletions } = totals(files);
  return `${files.length} ${files.length === 1 ? "file" : "files"} changed, ${additions} ${additions === 1 ? "line" : "lines"} added, ${deletions} removed`;
}
