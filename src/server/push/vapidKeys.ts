/**
 * The server's VAPID key pair (RFC 8292): it signs every push request, and browsers subscribe with
 * its public half (`applicationServerKey`), so a push service only delivers to a subscription what
 * this server sends. Generated on first start and kept in `<dataDir>/vapid.json` (mode 0600):
 * a new pair would orphan every subscription, so it is never replaced while the file is readable.
 */
import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import webpush from "web-push";
import { z } from "zod";
import { isErrno } from "../storage/errno.ts";

export const VAPID_FILE_NAME = "vapid.json";

export interface VapidKeys {
  /** Uncompressed P-256 point (65 bytes), base64url: what browsers subscribe with. */
  publicKey: string;
  /** The 32-byte private scalar, base64url. Never leaves the data dir. */
  privateKey: string;
}

const StoredKeys = z.object({
  publicKey: z.string().regex(/^B[A-Za-z0-9_-]{86}$/),
  privateKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

/** The key pair from `<dataDir>/vapid.json`, created (atomically, mode 0600) when there is none. */
export async function loadOrCreateVapidKeys(dataDir: string): Promise<VapidKeys> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, VAPID_FILE_NAME);
  const existing = await readKeys(file);
  if (existing) return existing;

  const keys = webpush.generateVAPIDKeys();
  // Written to a temporary file, then hard-linked into place: `link` fails if another process
  // created the file meanwhile, and a half-written file is never read.
  const temp = join(dataDir, `.${VAPID_FILE_NAME}.${process.pid}.${randomBytes(6).toString("hex")}`);
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(keys)}\n`, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, file);
  } catch (error) {
    if (!isErrno(error, "EEXIST")) throw error;
    const winner = await readKeys(file);
    if (!winner) throw error;
    return winner;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return keys;
}

/** The stored key pair, null when there is none yet; throws when the file is unusable. */
export function readVapidKeys(dataDir: string): Promise<VapidKeys | null> {
  return readKeys(join(dataDir, VAPID_FILE_NAME));
}

async function readKeys(file: string): Promise<VapidKeys | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isErrno(error, "ENOENT")) return null;
    throw error;
  }
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
  let parsed: ReturnType<typeof StoredKeys.safeParse>;
  try {
    parsed = StoredKeys.safeParse(JSON.parse(text));
  } catch {
    parsed = StoredKeys.safeParse(null);
  }
  if (!parsed.success) {
    // Replacing it silently would orphan every device's subscription: say what to do instead.
    throw new Error(
      `The VAPID key file ${file} is not readable as a key pair. Delete it to generate a new one (every device then turns notifications on again).`,
    );
  }
  return parsed.data;
}
