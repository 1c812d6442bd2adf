import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateVapidKeys, VAPID_FILE_NAME } from "./vapidKeys.ts";

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "pocket-vapid-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("VAPID keys", () => {
  test("generated on first start into vapid.json, mode 0600, and the same pair on the next start", async () => {
    const dir = dataDir();
    const first = await loadOrCreateVapidKeys(dir);
    expect(first.publicKey).toMatch(/^B[A-Za-z0-9_-]{86}$/);
    expect(Buffer.from(first.privateKey, "base64url")).toHaveLength(32);
    const file = join(dir, VAPID_FILE_NAME);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(first);
    expect(await loadOrCreateVapidKeys(dir)).toEqual(first);
  });

  test("a file others can read is narrowed back to 0600", async () => {
    const dir = dataDir();
    const keys = await loadOrCreateVapidKeys(dir);
    chmodSync(join(dir, VAPID_FILE_NAME), 0o644);
    expect(await loadOrCreateVapidKeys(dir)).toEqual(keys);
    expect(statSync(join(dir, VAPID_FILE_NAME)).mode & 0o777).toBe(0o600);
  });

  test("two starts at once agree on one pair", async () => {
    const dir = dataDir();
    const [a, b] = await Promise.all([loadOrCreateVapidKeys(dir), loadOrCreateVapidKeys(dir)]);
    expect(a).toEqual(b);
  });

  test("a damaged file stops the start with what to do, instead of orphaning every device", async () => {
    const dir = dataDir();
    writeFileSync(join(dir, VAPID_FILE_NAME), "{not json", { mode: 0o600 });
    await expect(loadOrCreateVapidKeys(dir)).rejects.toThrow(/Delete it to generate a new one/);
  });
});
