/**
 * The directories under the allowed roots that could be projects, found by reading directories
 * only: no `stat` per entry, no symlink followed, nothing outside a root.
 *
 * Skipped: `node_modules`, hidden directories (`.git`, `.cache`…) and symlinks (a symlinked
 * directory could lead out of the roots or loop; its target is listed where it really is, if that
 * is inside a root).
 */
import { type Dirent, readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";

export interface WalkedDir {
  /** Canonical absolute path. */
  path: string;
  /** The canonical root it was found under. */
  root: string;
  /** 0 for the root itself. */
  depth: number;
  /** Has a `.git` entry (a directory, or the file of a worktree or submodule). */
  isGit: boolean;
}

export interface WalkOptions {
  /** How deep below each root to look (the root is depth 0). Default 3. */
  maxDepth?: number;
  /** Stop after reading this many directories in all (a safety net for huge trees). Default 50 000. */
  maxDirs?: number;
}

/** A name the walk never descends into. */
export function isSkippedName(name: string): boolean {
  return name.startsWith(".") || name === "node_modules";
}

function readDir(path: string): Dirent[] | null {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch {
    return null; // unreadable or gone: not a project
  }
}

/** The canonical roots that exist, without duplicates and without roots inside another root. */
export function canonicalRoots(roots: readonly string[]): string[] {
  const out: string[] = [];
  for (const root of roots) {
    let real: string;
    try {
      real = realpathSync(root);
    } catch {
      continue;
    }
    if (!out.includes(real)) out.push(real);
  }
  return out;
}

/**
 * Every directory up to `maxDepth` below each root, breadth first, roots first. A root nested
 * inside another root is walked once, as its own root.
 */
export function walkRoots(roots: readonly string[], options: WalkOptions = {}): WalkedDir[] {
  const maxDepth = options.maxDepth ?? 3;
  let budget = options.maxDirs ?? 50_000;
  const canonical = canonicalRoots(roots);
  const rootSet = new Set(canonical);
  const out: WalkedDir[] = [];
  for (const root of canonical) {
    const queue: { path: string; depth: number }[] = [{ path: root, depth: 0 }];
    for (let i = 0; i < queue.length && budget > 0; i++) {
      const { path, depth } = queue[i] as { path: string; depth: number };
      const entries = readDir(path);
      budget--;
      if (entries === null) continue;
      let isGit = false;
      // Directory order is the file system's: sorted, the list comes out the same every time.
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (entry.name === ".git") isGit = true;
        if (depth >= maxDepth || !entry.isDirectory() || isSkippedName(entry.name)) continue;
        const child = join(path, entry.name);
        // Walked as a root of its own.
        if (rootSet.has(child)) continue;
        queue.push({ path: child, depth: depth + 1 });
      }
      out.push({ path, root, depth, isGit });
    }
  }
  return out;
}
