/**
 * What the projects list shows about a git work tree: its branch, read from git's own `HEAD` file
 * (microseconds, no process), and whether it has uncommitted changes, asked of `git status`
 * (a process per repository, so the list learns it in the background: see projectIndex.ts).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";

/** The git directory of a work tree: `.git` itself, or where a worktree's or submodule's `.git` file points. */
export function gitDirOf(workTree: string): string | null {
  const dotGit = join(workTree, ".git");
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
    const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1]?.trim();
    if (!pointer) return null;
    return isAbsolute(pointer) ? pointer : resolve(workTree, pointer);
  } catch {
    return null;
  }
}

/** The checked-out branch (`main`), a short commit id when HEAD is detached, or null. */
export function readBranch(workTree: string): string | null {
  const gitDir = gitDirOf(workTree);
  if (!gitDir) return null;
  let head: string;
  try {
    head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
  } catch {
    return null;
  }
  const ref = /^ref:\s*refs\/heads\/(.+)$/.exec(head)?.[1];
  if (ref) return ref;
  return /^[0-9a-f]{40,64}$/.test(head) ? head.slice(0, 7) : null;
}

/** The work tree `path` is in: the nearest folder up from it (itself included) that has a `.git`. */
export function workTreeOf(path: string): string | null {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** The branch checked out where `path` is (a session's folder may be below its repository's top). */
export function branchAt(path: string): string | null {
  const workTree = workTreeOf(path);
  return workTree ? readBranch(workTree) : null;
}

/** When the work tree's index last changed (a commit, an add, a checkout), in ms; null when unknown. */
export function indexChangedAt(workTree: string): number | null {
  const gitDir = gitDirOf(workTree);
  if (!gitDir) return null;
  try {
    return statSync(join(gitDir, "index")).mtimeMs;
  } catch {
    return null;
  }
}

export interface DirtyOptions {
  /** Give up after this long (a huge repository, a hung filesystem); the answer is then unknown. */
  timeoutMs?: number;
  /** The git executable (default `git` on PATH). */
  git?: string;
}

/**
 * True when `git status` reports any change (staged, unstaged or untracked), false when clean,
 * null when it could not tell (no git, not a work tree, timed out). Never throws.
 */
export function isDirty(workTree: string, options: DirtyOptions = {}): Promise<boolean | null> {
  return new Promise((done) => {
    let output = "";
    let settled = false;
    const finish = (value: boolean | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(value);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(options.git ?? "git", ["status", "--porcelain", "--ignore-submodules=dirty", "-z"], {
        cwd: workTree,
        stdio: ["ignore", "pipe", "ignore"],
        // No pager, no prompts, no optional locks: a status must never wait on, or take, the index lock.
        env: { ...process.env, GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
      });
    } catch {
      done(null);
      return;
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(null);
    }, options.timeoutMs ?? 10_000);
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      output += chunk;
      // One changed path is enough.
      if (output.length > 0) {
        finish(true);
        child.kill("SIGTERM");
      }
    });
    child.once("error", () => finish(null));
    child.once("close", (code) => finish(code === 0 ? output.length > 0 : null));
  });
}
