import type { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../storage/database.ts";
import { claudeConfigDir, TranscriptMirror } from "./transcriptMirror.ts";

/** The SessionStore contract as the SDK uses it, on the real SQLite schema. */
let dir: string;
let db: Database;
let mirror: TranscriptMirror;
const key = { projectKey: "-home-ada-repo", sessionId: "3e3c35cc-b744-4312-ba5d-3dd1fff7ed42" };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pocket-mirror-"));
  db = openDatabase(dir);
  mirror = new TranscriptMirror(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("TranscriptMirror", () => {
  test("load returns what was appended, in order; null for a key never written", () => {
    mirror.append(key, [{ type: "user", uuid: "u1", message: { content: "hi" } }]);
    mirror.append(key, [{ type: "assistant", uuid: "a1" }, { type: "last-prompt" }]);
    expect(mirror.load(key)).toEqual([
      { type: "user", uuid: "u1", message: { content: "hi" } },
      { type: "assistant", uuid: "a1" },
      { type: "last-prompt" },
    ]);
    expect(mirror.load({ ...key, sessionId: "other" })).toBeNull();
  });

  test("uuid is the idempotency key; entries without one are appended every time", () => {
    mirror.append(key, [{ type: "user", uuid: "u1" }, { type: "cost-state" }]);
    mirror.append(key, [{ type: "user", uuid: "u1" }, { type: "cost-state" }]);
    expect(mirror.load(key)?.map((e) => e.type)).toEqual(["user", "cost-state", "cost-state"]);
  });

  test("subagent transcripts are kept apart and listed as subkeys", () => {
    mirror.append(key, [{ type: "user", uuid: "main" }]);
    mirror.append({ ...key, subpath: "subagents/agent-1" }, [{ type: "user", uuid: "sub" }]);
    expect(mirror.load(key)).toEqual([{ type: "user", uuid: "main" }]);
    expect(mirror.listSubkeys(key)).toEqual(["subagents/agent-1"]);
    expect(mirror.listSessions(key.projectKey).map((s) => s.sessionId)).toEqual([key.sessionId]);
  });

  test("forget and delete remove a conversation, subagents included", () => {
    mirror.append(key, [{ type: "user", uuid: "main" }]);
    mirror.append({ ...key, subpath: "subagents/agent-1" }, [{ type: "user", uuid: "sub" }]);
    expect(mirror.load(key)).not.toBeNull();
    mirror.forget(key.sessionId);
    expect(mirror.load(key)).toBeNull();
    expect(mirror.load({ ...key, subpath: "subagents/agent-1" })).toBeNull();
  });

  test("the adapter resumes from the mirror only when the CLI's own transcript file is gone", async () => {
    const configDir = join(dir, "claude");
    const adapter = mirror.adapterFor(configDir);
    await adapter.append(key, [{ type: "user", uuid: "u1" }]);
    const file = join(configDir, "projects", key.projectKey, `${key.sessionId}.jsonl`);
    mkdirSync(join(configDir, "projects", key.projectKey), { recursive: true });
    writeFileSync(file, "{}\n");
    expect(await adapter.load(key)).toBeNull();
    rmSync(file);
    expect(await adapter.load(key)).toEqual([{ type: "user", uuid: "u1" }]);
  });

  test("the config dir is CLAUDE_CONFIG_DIR, else ~/.claude", () => {
    expect(claudeConfigDir({ CLAUDE_CONFIG_DIR: "/x/claude" })).toBe("/x/claude");
    expect(claudeConfigDir({})).toEndWith("/.claude");
  });
});
