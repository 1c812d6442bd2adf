/**
 * `<dataDir>/server.json`: where the server that uses this data dir listens, so other commands
 * (`pocket-agent pair`, `token rotate`, `doctor`) can find it. It holds no secret: `pair` reads
 * the token from the token file, which needs the same access to the data dir.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { isAlive } from "./processAlive.ts";

export const SERVER_INFO_FILE = "server.json";

export const ServerInfo = z.object({
  pid: z.number().int().positive(),
  /** The origin a phone opens: `POCKET_PUBLIC_URL` behind a proxy, else the server's own. */
  origin: z.string().min(1),
  port: z.number().int().nonnegative(),
  host: z.string().min(1),
  version: z.string(),
  /** The token comes from `POCKET_TOKEN`: rotating the token file does not reach this server. */
  tokenFromEnv: z.boolean(),
  startedAt: z.string(),
});
export type ServerInfo = z.infer<typeof ServerInfo>;

export async function writeServerInfo(dataDir: string, info: ServerInfo): Promise<void> {
  const file = join(dataDir, SERVER_INFO_FILE);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

/** The server that last started on this data dir, if it is still running (its pid is alive). */
export async function readRunningServer(dataDir: string): Promise<ServerInfo | null> {
  let parsed: ServerInfo;
  try {
    const result = ServerInfo.safeParse(JSON.parse(await readFile(join(dataDir, SERVER_INFO_FILE), "utf8")));
    if (!result.success) return null;
    parsed = result.data;
  } catch {
    return null;
  }
  return isAlive(parsed.pid) ? parsed : null;
}

/** Removes the file when it still describes this process (a newer server may have replaced it). */
export async function removeServerInfo(dataDir: string, pid = process.pid): Promise<void> {
  const file = join(dataDir, SERVER_INFO_FILE);
  try {
    const info = ServerInfo.safeParse(JSON.parse(await readFile(file, "utf8")));
    if (info.success && info.data.pid !== pid) return;
    await unlink(file);
  } catch {
    // Already gone.
  }
}
