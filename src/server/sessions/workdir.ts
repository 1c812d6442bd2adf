/**
 * A session's working directory must lie inside one of the allowed roots
 * (`POCKET_WORKDIR`, several separated by the OS path delimiter).
 *
 * This is a guard rail for what a phone may ask for, not a sandbox: the agent
 * runs shell commands and can `cd` anywhere the user can. It stops a request
 * from starting the agent in `/`, in `~/.ssh`, or through a symlink that leads
 * out of the roots.
 */
import { realpathSync, statSync } from "node:fs";
import { delimiter, isAbsolute, relative, resolve, sep } from "node:path";

export type WorkdirResult = { ok: true; path: string } | { ok: false; message: string };

const MAX_PATH_CHARS = 4096;

/** `POCKET_WORKDIR` split on the OS path delimiter, empty entries dropped, made absolute; `fallback` when unset. */
export function parseWorkdirRoots(value: string | undefined, fallback: string): string[] {
  const roots = (value ?? "")
    .split(delimiter)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => resolve(p));
  return roots.length > 0 ? roots : [resolve(fallback)];
}

const inside = (root: string, candidate: string): boolean => {
  const rel = relative(root, candidate);
  return rel === "" || (!isAbsolute(rel) && rel.split(sep)[0] !== "..");
};

const realpathOrNull = (path: string): string | null => {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
};

/**
 * - `undefined` (or blank) → the first root;
 * - relative → resolved against the first root;
 * - absolute → must be inside a root.
 *
 * The answer is the canonical path (symlinks resolved), and it must still be
 * inside a root (checked after `realpath`, so `..` and symlinks cannot escape),
 * exist, and be a directory. Paths outside the roots are refused before the
 * file system is consulted, so a refusal does not reveal whether they exist.
 */
export function resolveWorkdir(requested: string | undefined, roots: string[]): WorkdirResult {
  if (roots.length === 0) return { ok: false, message: "No working directory roots are configured (POCKET_WORKDIR)." };
  if (requested !== undefined && requested.length > MAX_PATH_CHARS) {
    return { ok: false, message: "The working directory path is too long." };
  }
  if (requested?.includes("\0")) return { ok: false, message: "The working directory path contains a NUL byte." };

  const given = roots.map((r) => resolve(r));
  const real = given.map(realpathOrNull);
  const first = given[0] as string;
  const wanted = requested === undefined || requested.trim() === "" ? first : resolve(first, requested);
  const shown = requested === undefined || requested.trim() === "" ? wanted : requested;

  const lexicallyInside = given.some((root, i) => {
    const realRoot = real[i];
    return inside(root, wanted) || (realRoot !== null && realRoot !== undefined && inside(realRoot, wanted));
  });
  if (!lexicallyInside) {
    return { ok: false, message: `"${shown}" is outside the allowed working directories.` };
  }

  const canonical = realpathOrNull(wanted);
  if (canonical === null) return { ok: false, message: `"${shown}" does not exist.` };
  if (!real.some((root) => root !== null && inside(root, canonical))) {
    return { ok: false, message: `"${shown}" leads outside the allowed working directories.` };
  }
  let isDirectory: boolean;
  try {
    isDirectory = statSync(canonical).isDirectory();
  } catch {
    return { ok: false, message: `"${shown}" cannot be read.` };
  }
  if (!isDirectory) return { ok: false, message: `"${shown}" is not a directory.` };
  return { ok: true, path: canonical };
}
