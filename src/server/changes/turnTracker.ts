/**
 * What one turn changed on disk (decision 045). Two sources:
 * - the agent's file tools (Edit, Write, MultiEdit, NotebookEdit): the file's content is taken
 *   when the tool use is announced (before it runs) and again when the turn ends; Claude Code's own
 *   `tool_use_result.originalFile` is preferred as "before" when it reports one;
 * - in a git work tree, `git status` at the turn's start and end: what else changed (a Bash
 *   `sed -i`, a generator, `git mv`) is found from entries that appeared or changed, and files
 *   already dirty whose content changed. Their "before" is the content saved at the start (dirty
 *   files, within a budget) or the index's (clean files).
 * The result is a list of files with unified diffs, made with jsdiff.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { createTwoFilesPatch, structuredPatch } from "diff";
import { LIMITS, type TurnChangedFile } from "../../shared/messages.ts";
import { decodeText, looksBinary } from "./fileReader.ts";
import { displayPath, type GitStatus, gitStatus, indexContent, type StatusEntry } from "./git.ts";

/** The tools whose input names the file they write. */
const FILE_TOOLS: Record<string, string> = {
  Edit: "file_path",
  Write: "file_path",
  MultiEdit: "file_path",
  NotebookEdit: "notebook_path",
};
/** Dirty files saved at a turn's start, in bytes: enough for any real edit session, bounded for a huge dirty tree. */
const SNAPSHOT_BUDGET_BYTES = 8 * 1024 * 1024;
/** Files bigger than this are compared by hash only (their diff is not shown). */
const MAX_DIFF_FILE_BYTES = 1024 * 1024;

/** A file's state: text, binary (compared by hash), or absent. */
type Content = { kind: "text"; text: string } | { kind: "binary"; hash: string } | { kind: "absent" };

async function readContent(path: string): Promise<Content> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return { kind: "absent" };
  }
  const text = bytes.length <= MAX_DIFF_FILE_BYTES && !looksBinary(bytes) ? decodeText(bytes, false) : null;
  return text === null ? { kind: "binary", hash: String(Bun.hash(bytes)) } : { kind: "text", text };
}

function sameContent(a: Content, b: Content): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "text" && b.kind === "text") return a.text === b.text;
  if (a.kind === "binary" && b.kind === "binary") return a.hash === b.hash;
  return true;
}

interface StartState {
  status: GitStatus | null;
  /** Dirty or untracked files' content at the start, by absolute path. */
  saved: Map<string, Content>;
  /** Signatures of the status entries, by absolute path. */
  signatures: Map<string, string>;
}

export class TurnChangeTracker {
  /** Files the agent's tools touched: absolute path → content before the first touch. */
  private readonly before = new Map<string, Promise<Content>>();
  /** tool_use id → absolute path, to match Claude Code's tool results. */
  private readonly toolPaths = new Map<string, string>();
  /** Files whose "before" Claude Code already reported (only the first report of a turn counts). */
  private readonly reported = new Set<string>();

  /** The folder's state when the turn began, taken alongside the agent's start-up. */
  private readonly start: Promise<StartState>;

  /**
   * Starts following a turn; the folder's state is taken in the background, so the agent starts
   * at once (a stop or the agent limit see it at once too). The agent's first change comes after
   * an API round trip, well after a `git status`; a change made before the snapshot would only be
   * left out of this turn's report, never misreported.
   */
  constructor(private readonly cwd: string) {
    this.start = snapshot(cwd);
  }

  /** Follows the agent's messages: file tool uses (before they run) and their results. */
  observe(message: Record<string, unknown>): void {
    if (message.type === "assistant") {
      for (const block of contentBlocks(message)) {
        if (block.type !== "tool_use" || typeof block.name !== "string") continue;
        const field = FILE_TOOLS[block.name];
        const input = block.input as Record<string, unknown> | undefined;
        const file = field ? input?.[field] : undefined;
        if (typeof file !== "string" || file === "") continue;
        const path = isAbsolute(file) ? file : resolve(this.cwd, file);
        if (typeof block.id === "string") this.toolPaths.set(block.id, path);
        if (!this.before.has(path)) this.before.set(path, this.contentBefore(path));
      }
    } else if (message.type === "user") {
      // Claude Code reports the file as it was before an Edit or Write: more exact than our read
      // when something else wrote it between the announcement and the run.
      const result = message.tool_use_result as Record<string, unknown> | undefined;
      for (const block of contentBlocks(message)) {
        if (block.type !== "tool_result" || typeof block.tool_use_id !== "string") continue;
        const path = this.toolPaths.get(block.tool_use_id);
        this.toolPaths.delete(block.tool_use_id);
        if (!path || !result || typeof result !== "object") continue;
        const original = result.originalFile;
        if (!this.reported.has(path)) {
          this.reported.add(path);
          if (typeof original === "string") this.before.set(path, Promise.resolve({ kind: "text", text: original }));
          else if (result.type === "create") this.before.set(path, Promise.resolve({ kind: "absent" }));
        }
      }
    }
  }

  /** Before the first tool use: what the turn's start saw (a dirty file), else what is on disk now. */
  private async contentBefore(path: string): Promise<Content> {
    const saved = (await this.start).saved.get(path);
    return saved ?? readContent(path);
  }

  /** The files the turn changed, with their diffs; empty when it changed nothing. */
  async finish(): Promise<TurnChangedFile[]> {
    const changes = new Map<string, { before: Content; after: Content }>();
    for (const [path, before] of this.before) {
      changes.set(path, { before: await before, after: await readContent(path) });
    }
    const start = await this.start;
    if (start.status) {
      const end = await gitStatus(this.cwd).catch(() => null);
      if (end) {
        const endEntries = new Map(end.entries.map((entry) => [join(end.root, entry.path), entry]));
        const candidates = new Set<string>([...endEntries.keys(), ...start.signatures.keys()]);
        for (const path of candidates) {
          if (changes.has(path)) continue;
          const found = await this.gitChange(start, path, endEntries.get(path), end.root);
          if (found) changes.set(path, found);
        }
      }
    }
    const files: TurnChangedFile[] = [];
    for (const [path, { before, after }] of changes) {
      if (sameContent(before, after)) continue;
      files.push(describeChange(displayPath(this.cwd, path), before, after));
      if (files.length >= LIMITS.changedFiles) break;
    }
    files.sort((a, b) => a.path.localeCompare(b.path));
    return files;
  }

  /** A file git shows changed between the start and the end, or null if this turn did not change it. */
  private async gitChange(
    start: StartState,
    path: string,
    endEntry: StatusEntry | undefined,
    root: string,
  ): Promise<{ before: Content; after: Content } | null> {
    const startSignature = start.signatures.get(path);
    const saved = start.saved.get(path);
    const after = await readContent(path);
    if (startSignature !== undefined) {
      // Dirty at the start: changed if git's entry changed or the content did.
      if (endEntry?.signature === startSignature && saved && sameContent(saved, after)) return null;
      if (saved) return { before: saved, after };
      // Past the snapshot budget: the content at the start is unknown; the index's stands in.
    }
    if (startSignature === undefined && !endEntry) return null;
    const indexed = await indexContent(root, relative(root, path).split(sep).join("/"), MAX_DIFF_FILE_BYTES).catch(
      () => null,
    );
    const before: Content =
      indexed === null
        ? { kind: "absent" }
        : looksBinary(Buffer.from(indexed))
          ? { kind: "binary", hash: "index" }
          : { kind: "text", text: indexed };
    return { before, after };
  }
}

/** The work tree's state: never throws; without git it is empty and the tools alone are followed. */
async function snapshot(cwd: string): Promise<StartState> {
  const status = await gitStatus(cwd).catch(() => null);
  const saved = new Map<string, Content>();
  const signatures = new Map<string, string>();
  if (status) {
    let budget = SNAPSHOT_BUDGET_BYTES;
    for (const entry of status.entries) {
      const path = join(status.root, entry.path);
      signatures.set(path, entry.signature);
      if (budget <= 0) continue;
      const content = await readContent(path);
      if (content.kind === "text") budget -= content.text.length;
      saved.set(path, content);
    }
  }
  return { status, saved, signatures };
}

function contentBlocks(message: Record<string, unknown>): Record<string, unknown>[] {
  const inner = message.message as { content?: unknown } | undefined;
  const content = inner?.content;
  return Array.isArray(content)
    ? content.filter((b): b is Record<string, unknown> => typeof b === "object" && !!b)
    : [];
}

/** One changed file: its status, counts and diff. */
export function describeChange(path: string, before: Content, after: Content): TurnChangedFile {
  const status = before.kind === "absent" ? "added" : after.kind === "absent" ? "deleted" : "modified";
  if (before.kind === "binary" || after.kind === "binary") {
    return { path, status, additions: 0, deletions: 0, binary: true };
  }
  const oldText = before.kind === "text" ? before.text : "";
  const newText = after.kind === "text" ? after.text : "";
  let additions = 0;
  let deletions = 0;
  for (const hunk of structuredPatch(path, path, oldText, newText, "", "", { context: 3 }).hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith("+")) additions++;
      else if (line.startsWith("-")) deletions++;
    }
  }
  const from = before.kind === "absent" ? "/dev/null" : `a/${path}`;
  const to = after.kind === "absent" ? "/dev/null" : `b/${path}`;
  const patch = createTwoFilesPatch(from, to, oldText, newText, "", "", { context: 3 });
  const truncated = patch.length > LIMITS.fileDiffChars;
  return {
    path,
    status,
    additions,
    deletions,
    diff: truncated ? patch.slice(0, LIMITS.fileDiffChars) : patch,
    ...(truncated ? { truncated } : {}),
  };
}
