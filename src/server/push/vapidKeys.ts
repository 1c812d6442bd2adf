/**
 * The server's VAPID key pair (RFC 8292): it signs every push request, and browsers subscribe with
 * its public half (`applicationServerKey`), so a push service only delivers to a subscription what
 * this server sends. Generated on first start and kept in `<dataDir>/vapid.json` (mode 0600):
 * a new pair would orphan every subscription, so it is never replaced while the file is readable.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import webpush from "web-push";
import { z } from "zod";
import { createSecretFileOnce, readSecretFile } from "../storage/secretFile.ts";

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
  if (await createSecretFileOnce(dataDir, VAPID_FILE_NAME, `${JSON.stringify(keys)}\n`)) return keys;
  // Another process created it first: its pair is the one.
  const winner = await readKeys(file);
  if (!winner) throw new Error(`The VAPID key file ${file} disappeared while it was being created.`);
  return winner;
}

async function readKeys(file: string): Promise<VapidKeys | null> {
  const text = await readSecretFile(file);
  if (text === null) return null;
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
