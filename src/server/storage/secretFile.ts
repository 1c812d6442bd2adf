/**
 * A secret kept in a file of the data dir (the pairing token, the VAPID key pair): created once,
 * mode 0600, and atomically, written to a temporary file and then hard-linked into place. `link`
 * fails if another process created the file meanwhile, and a half-written file is never read.
 */
import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}

/** The file's text, or null when there is none; a file others can read is narrowed back to 0600. */
export async function readSecretFile(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isErrno(error, "ENOENT")) return null;
    throw error;
  }
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
  return text;
}

/**
 * Creates `<dataDir>/<name>` holding `text`, unless it exists. False: another process created it
 * first (the caller reads that one).
 */
export async function createSecretFileOnce(dataDir: string, name: string, text: string): Promise<boolean> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temp = join(dataDir, `.${name}.${process.pid}.${randomBytes(6).toString("hex")}`);
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, join(dataDir, name));
    return true;
  } catch (error) {
    if (isErrno(error, "EEXIST")) return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
