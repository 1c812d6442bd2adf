/**
 * The file viewer's one door: read a file inside a session's folder, read-only, text only, at most
 * LIMITS.fileViewBytes. The path is checked twice: as written (no `..` or absolute path leading
 * out) and after resolving symlinks (no link leading out), so what is read is always inside the
 * folder's real location.
 */
import { open, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { LIMITS } from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";

export interface FileText {
  content: string;
  truncated: boolean;
  size: number;
}

const inside = (root: string, candidate: string): boolean => {
  const rel = relative(root, candidate);
  return rel === "" || (!isAbsolute(rel) && rel.split(sep)[0] !== "..");
};

/** Git's rule: a NUL byte in the first 8000 bytes makes a file binary. */
export function looksBinary(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 8000);
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return true;
  return false;
}

/** UTF-8 text, or null when the bytes are not (a cut at `maxBytes` may end inside a character: that is allowed). */
export function decodeText(bytes: Uint8Array, cut: boolean): string | null {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  // A cut can split a character: drop up to 3 bytes of an unfinished sequence at the end.
  for (let drop = 0; drop <= (cut ? 3 : 0); drop++) {
    try {
      return decoder.decode(bytes.subarray(0, bytes.length - drop));
    } catch {
      // try one byte shorter
    }
  }
  return null;
}

/** Where `requested` leads inside `cwd`, refused (PATH_OUTSIDE_SESSION) when it leads out. */
export async function resolveInside(cwd: string, requested: string): Promise<string> {
  if (requested.includes("\0")) throw new PocketError("INVALID_PAYLOAD", "The path contains a NUL byte.");
  const wanted = resolve(cwd, requested);
  if (!inside(cwd, wanted)) throw new PocketError("PATH_OUTSIDE_SESSION");
  const realRoot = await realpath(cwd);
  let real: string;
  try {
    real = await realpath(wanted);
  } catch {
    throw new PocketError("FILE_NOT_FOUND", `No file ${requested} in the session's folder.`);
  }
  if (!inside(realRoot, real)) throw new PocketError("PATH_OUTSIDE_SESSION");
  return real;
}

export async function readSessionFile(cwd: string, requested: string): Promise<FileText> {
  const path = await resolveInside(cwd, requested);
  const info = await stat(path);
  if (!info.isFile()) throw new PocketError("FILE_NOT_FOUND", `${requested} is a folder, not a file.`);
  const max = LIMITS.fileViewBytes;
  const handle = await open(path, "r");
  try {
    const buffer = new Uint8Array(Math.min(info.size, max));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    const truncated = info.size > max;
    const content = looksBinary(bytes) ? null : decodeText(bytes, truncated);
    if (content === null) throw new PocketError("FILE_NOT_TEXT");
    return { content, truncated, size: info.size };
  } finally {
    await handle.close();
  }
}
