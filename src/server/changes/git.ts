/**
 * What git says about a work tree's changes, from git itself: `git status --porcelain=v2` for the
 * list (untracked files included) and `git diff` for the content. Nothing here reimplements git.
 */
import { isAbsolute, join, relative, sep } from "node:path";
import type { FileChangeStatus } from "../../shared/messages.ts";

/** No pager, no prompts, no optional locks (a status must never take the index lock), no colour, stable text. */
const GIT_ENV = { GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat", LC_ALL: "C" };
/** Options every call passes: paths as bytes (no quoting), no external diff or textconv drivers. */
const GIT_CONFIG = ["-c", "core.quotePath=false", "-c", "diff.noprefix=false", "-c", "color.ui=false"];
/** The object id of the empty tree: what a repository with no commit yet is compared with. */
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
const GIT_TIMEOUT_MS = 15_000;

export interface GitRun {
  code: number;
  stdout: string;
}

/** Runs git in `cwd`. Never throws for git's own failures: the exit code says. */
export async function runGit(cwd: string, args: string[], options: { maxBytes?: number } = {}): Promise<GitRun> {
  const child = Bun.spawn(["git", ...GIT_CONFIG, ...args], {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
    timeout: GIT_TIMEOUT_MS,
  });
  const stdout = await readCapped(child.stdout, options.maxBytes ?? 64 * 1024 * 1024, () => child.kill());
  const code = await child.exited;
  return { code, stdout };
}

async function readCapped(stream: ReadableStream<Uint8Array>, maxBytes: number, onCap: () => void): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done || !value) break;
    if (total + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - total));
      onCap();
      await reader.cancel();
      break;
    }
    chunks.push(value);
    total += value.byteLength;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** One entry of `git status --porcelain=v2 -z`, paths relative to the repository root. */
export interface StatusEntry {
  path: string;
  /** A rename's or copy's source. */
  origPath?: string;
  /** Index and work tree status letters, e.g. ".M", "A.", "R.", "??". */
  xy: string;
  /** The whole line: two snapshots with equal signatures show the same state (modes and object ids included). */
  signature: string;
}

export interface GitStatus {
  /** The work tree's top folder. */
  root: string;
  /** The branch, or a short commit id when detached; absent before the first commit on an unborn branch named nothing. */
  branch?: string;
  /** False in a repository with no commit yet. */
  hasHead: boolean;
  entries: StatusEntry[];
}

/** The repository's top folder, or null when `cwd` is not inside a work tree (or git is missing). */
export async function workTreeRoot(cwd: string): Promise<string | null> {
  try {
    const run = await runGit(cwd, ["rev-parse", "--show-toplevel"]);
    return run.code === 0 ? run.stdout.trim() || null : null;
  } catch {
    return null;
  }
}

/** `git status` of the part of the work tree under `cwd` (pathspec `.`), untracked files one by one. */
export async function gitStatus(cwd: string): Promise<GitStatus | null> {
  const root = await workTreeRoot(cwd);
  if (!root) return null;
  const run = await runGit(cwd, [
    "-c",
    "status.relativePaths=false",
    "status",
    "--porcelain=v2",
    "--branch",
    "-z",
    "--untracked-files=all",
    "--ignore-submodules=dirty",
    "--",
    ".",
  ]);
  if (run.code !== 0) return null;
  return { root, ...parsePorcelainV2(run.stdout) };
}

/** Parses `git status --porcelain=v2 --branch -z` (format in git-status(1), "Porcelain Format Version 2"). */
export function parsePorcelainV2(output: string): Omit<GitStatus, "root"> {
  const fields = output.split("\0");
  const entries: StatusEntry[] = [];
  let head: string | undefined;
  let oid: string | undefined;
  for (let i = 0; i < fields.length; i++) {
    const line = fields[i] ?? "";
    if (line === "") continue;
    if (line.startsWith("# branch.head ")) head = line.slice("# branch.head ".length);
    else if (line.startsWith("# branch.oid ")) oid = line.slice("# branch.oid ".length);
    else if (line.startsWith("1 ")) {
      // 1 XY sub mH mI mW hH hI path
      const parts = line.split(" ");
      entries.push({ xy: parts[1] ?? "", path: parts.slice(8).join(" "), signature: line });
    } else if (line.startsWith("2 ")) {
      // 2 XY sub mH mI mW hH hI Xscore path, then the original path as the next field
      const parts = line.split(" ");
      const origPath = fields[++i] ?? "";
      entries.push({ xy: parts[1] ?? "", path: parts.slice(9).join(" "), origPath, signature: `${line}\0${origPath}` });
    } else if (line.startsWith("u ")) {
      // u XY sub m1 m2 m3 mW h1 h2 h3 path
      const parts = line.split(" ");
      entries.push({ xy: parts[1] ?? "", path: parts.slice(10).join(" "), signature: line });
    } else if (line.startsWith("? ")) {
      entries.push({ xy: "??", path: line.slice(2), signature: line });
    }
  }
  const hasHead = oid !== undefined && oid !== "(initial)";
  const branch = head && head !== "(detached)" ? head : hasHead && oid ? oid.slice(0, 7) : undefined;
  return { hasHead, entries, ...(branch ? { branch } : {}) };
}

/** What an entry means against `HEAD`, the index and the work tree taken together. */
export function statusOf(entry: StatusEntry): FileChangeStatus {
  const [x = ".", y = "."] = entry.xy;
  if (entry.xy === "??") return "untracked";
  if (x === "R" || x === "C") return "renamed";
  if (y === "D" || (x === "D" && y !== "A")) return "deleted";
  if (x === "A") return "added";
  return "modified";
}

/** `path` (relative to the repository root) relative to the session's folder, with `/` separators. */
export function fromRoot(root: string, cwd: string, path: string): string {
  const rel = relative(cwd, join(root, path));
  return rel.split(sep).join("/");
}

/** `path` made relative to `cwd` when inside it; absolute otherwise. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return path;
  return rel.split(sep).join("/");
}

export interface NumstatEntry {
  /** Null for a binary file. */
  additions: number | null;
  deletions: number | null;
  path: string;
  origPath?: string;
}

/** Parses `git diff --numstat -z`: `A\tD\tpath\0`, or `A\tD\t\0old\0new\0` for a rename. */
export function parseNumstat(output: string): NumstatEntry[] {
  const fields = output.split("\0");
  const entries: NumstatEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? "";
    if (field === "") continue;
    const [added = "", deleted = "", ...rest] = field.split("\t");
    const binary = added === "-" && deleted === "-";
    const counts = { additions: binary ? null : Number(added), deletions: binary ? null : Number(deleted) };
    const path = rest.join("\t");
    if (path === "") {
      const origPath = fields[++i] ?? "";
      entries.push({ ...counts, origPath, path: fields[++i] ?? "" });
    } else entries.push({ ...counts, path });
  }
  return entries;
}

/** Splits a multi-file unified diff at each `diff --git` header. */
export function splitPatches(diff: string): string[] {
  const starts: number[] = [];
  const pattern = /^diff --git /gm;
  for (let match = pattern.exec(diff); match; match = pattern.exec(diff)) starts.push(match.index);
  return starts.map((start, i) => diff.slice(start, starts[i + 1] ?? diff.length));
}

/** The work tree (and index) against `HEAD` under `cwd`: numstat and patches, in the same order. */
export async function diffAgainstHead(
  cwd: string,
  hasHead: boolean,
): Promise<{ numstat: NumstatEntry[]; patches: string[] }> {
  const base = hasHead ? "HEAD" : EMPTY_TREE;
  const common = ["diff", "--no-ext-diff", "--no-textconv", "-M", base, "--", "."];
  const [numstat, patch] = await Promise.all([
    runGit(cwd, [...common.slice(0, 4), "--numstat", "-z", ...common.slice(4)]),
    runGit(cwd, [...common.slice(0, 4), "-p", ...common.slice(4)]),
  ]);
  return { numstat: parseNumstat(numstat.stdout), patches: splitPatches(patch.stdout) };
}

/** An untracked file as git would show it added: `git diff --no-index /dev/null path` (exit code 1 means "differs"). */
export async function diffUntracked(root: string, path: string): Promise<{ numstat?: NumstatEntry; patch: string }> {
  const args = ["diff", "--no-ext-diff", "--no-textconv", "--no-index"];
  const [numstat, patch] = await Promise.all([
    runGit(root, [...args, "--numstat", "-z", "--", "/dev/null", path]),
    runGit(root, [...args, "-p", "--", "/dev/null", path]),
  ]);
  return { numstat: parseNumstat(numstat.stdout)[0], patch: patch.stdout };
}

/** A file's content in the index (what it was when clean), or null when the index has none. */
export async function indexContent(root: string, path: string, maxBytes: number): Promise<string | null> {
  const run = await runGit(root, ["cat-file", "-p", `:${path}`], { maxBytes });
  return run.code === 0 ? run.stdout : null;
}
