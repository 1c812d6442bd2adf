/**
 * The access token: where it comes from, how it is compared, and how it is kept
 * out of logs.
 *
 * The token is either `POCKET_TOKEN` or 256 random bits generated on first start
 * and kept in `<dataDir>/token` (mode 0600). Rotating it invalidates every
 * paired device, because the cookie value is derived from the token:
 * `pocket-agent token rotate` replaces the file, and a running server notices
 * (`watchTokenFile`) and signs every device out at once. A `POCKET_TOKEN` is
 * rotated by changing it and restarting.
 */
import crypto from "node:crypto";
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { createLogger } from "../logger.ts";
import { isErrno } from "../storage/errno.ts";
import { tokenWeakness } from "./strength.ts";

const log = createLogger("auth");

/** Shortest token accepted from `POCKET_TOKEN` or the token file. */
export const MIN_TOKEN_LENGTH = 16;
export const TOKEN_FILE_NAME = "token";

/** 256 random bits, base64url (43 characters, safe in a URL without escaping). */
export function generateToken(): string {
  return crypto.randomBytes(32).toString("base64url");
}

const digest = (value: string): Buffer => crypto.createHash("sha256").update(value, "utf8").digest();

/**
 * Constant-time string comparison: both sides are hashed to equal-length
 * SHA-256 digests first, so neither the content nor the length of the secret
 * leaks through timing, and `timingSafeEqual` never throws on a length mismatch.
 */
export function safeEqual(presented: string, expected: string): boolean {
  // `crypto.timingSafeEqual` is read off the module object at call time (tests spy on it).
  return crypto.timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The value stored in the pairing cookie: an HMAC of a fixed label keyed by the
 * token. The raw token never sits in the browser's cookie jar, and a new token
 * makes every old cookie worthless.
 */
export function cookieValueFor(token: string): string {
  return crypto.createHmac("sha256", token).update("pocket-agent pairing cookie v1").digest("base64url");
}

/**
 * Safety net for anything that might be logged: removes the token (raw and
 * URL-encoded) and the cookie value derived from it.
 */
export function redactToken(text: string, token: string): string {
  if (!token) return text;
  const secrets = new Set([token, encodeURIComponent(token), cookieValueFor(token)]);
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[REDACTED]");
  return out;
}

function checkStrength(token: string, source: string): string {
  const trimmed = token.trim();
  if (trimmed.length < MIN_TOKEN_LENGTH) {
    throw new Error(`${source} must be at least ${MIN_TOKEN_LENGTH} characters (it is ${trimmed.length}).`);
  }
  const weakness = tokenWeakness(trimmed, source);
  if (weakness) throw new Error(weakness);
  return trimmed;
}

/**
 * Returns `envToken` when set, else the token kept in `<dataDir>/token`,
 * creating it (mode 0600, atomically: a half-written file is never read) on
 * first start. An existing file that others can read is narrowed back to 0600.
 */
export async function loadOrCreateToken(dataDir: string, envToken?: string): Promise<string> {
  if (envToken !== undefined && envToken.trim() !== "") return checkStrength(envToken, "POCKET_TOKEN");

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, TOKEN_FILE_NAME);
  const existing = await readTokenFile(file);
  if (existing !== null) return existing;

  // Written aside, then hard-linked into place: `link` fails if the token file
  // appeared meanwhile (another process won the race) and never exposes a
  // partly written file.
  const { token, temp } = await writeTokenAside(dataDir);
  try {
    await link(temp, file);
  } catch (error) {
    if (!isErrno(error, "EEXIST")) throw error;
    const winner = await readTokenFile(file);
    if (winner === null) throw error;
    return winner;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return token;
}

/**
 * Replaces `<dataDir>/token` with a new random token (mode 0600; written aside, then renamed over
 * the old one, so a reader sees the old token or the new one, never half of one).
 */
export async function rotateToken(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { token, temp } = await writeTokenAside(dataDir);
  try {
    await rename(temp, join(dataDir, TOKEN_FILE_NAME));
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return token;
}

/** A new token in a temporary file (0600, synced) beside the token file, to be moved into place. */
async function writeTokenAside(dataDir: string): Promise<{ token: string; temp: string }> {
  const token = generateToken();
  const temp = join(dataDir, `.${TOKEN_FILE_NAME}.${process.pid}.${crypto.randomBytes(6).toString("hex")}`);
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(`${token}\n`, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { token, temp };
}

/** The token kept in `<dataDir>/token`, or null when there is none yet. */
export function readStoredToken(dataDir: string): Promise<string | null> {
  return readTokenFile(join(dataDir, TOKEN_FILE_NAME));
}

export interface TokenWatch {
  /** Looks at the file now (the interval does this too); resolves once any change is applied. */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Calls `onChange` with the new token when `<dataDir>/token` holds another one than `current`.
 * It looks at the file's identity (inode, size, mtime) every `intervalMs`: one `stat` a second
 * costs nothing, works on every file system (network and container mounts included, where
 * change notifications are unreliable), and sees a rename, an edit by hand, or a delete and
 * re-create alike. A deleted, empty or weak file keeps the current token.
 */
export function watchTokenFile(
  dataDir: string,
  current: string,
  onChange: (token: string) => void,
  intervalMs = 1_000,
): TokenWatch {
  const file = join(dataDir, TOKEN_FILE_NAME);
  let seen = "";
  let token = current;
  let running: Promise<void> | null = null;
  const look = async () => {
    let identity: string;
    try {
      const info = await stat(file);
      identity = `${info.ino}:${info.size}:${info.mtimeMs}`;
    } catch {
      return;
    }
    if (identity === seen) return;
    seen = identity;
    try {
      const next = await readTokenFile(file);
      if (next === null || next === token) return;
      token = next;
      onChange(next);
    } catch (error) {
      log.error("the token file changed but cannot be used; keeping the current token", {
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const check = () => {
    running ??= look().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref?.();
  void check();
  return {
    check,
    stop: () => clearInterval(timer),
  };
}

async function readTokenFile(file: string): Promise<string | null> {
  let content: string;
  try {
    content = await readFile(file, "utf8");
  } catch (error) {
    if (isErrno(error, "ENOENT")) return null;
    throw error;
  }
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
  if (content.trim() === "") {
    // An empty file (e.g. truncated by hand) is treated as "no token yet".
    await unlink(file);
    return null;
  }
  return checkStrength(content, `The token file ${file}`);
}
