import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { SessionKey, SessionStore, SessionStoreEntry } from "@anthropic-ai/claude-agent-sdk";

/**
 * Claude Code's transcripts, mirrored into Pocket Agent's own SQLite through the Agent SDK's
 * `SessionStore` adapter (decision 019). Claude Code deletes its transcripts after
 * `cleanupPeriodDays`, and people wipe or move `~/.claude`; the mirror lets a session resume
 * with its whole context anyway.
 *
 * The SDK calls `append` after each local write (in batches, `uuid` as the idempotency key) and
 * `load` once before a resume. `load` answers from the mirror only when the CLI's own transcript
 * file is gone: otherwise the CLI resumes from its file as it always did, in its own config dir,
 * where the desk's `claude --resume` sees the conversation go on.
 */
export class TranscriptMirror {
  private readonly q;

  constructor(private readonly db: Database) {
    this.q = {
      insert: db.query(
        `INSERT OR IGNORE INTO transcript_entries (project_key, session_id, subpath, uuid, entry, added_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      load: db.query<{ entry: string }, [string, string, string]>(
        "SELECT entry FROM transcript_entries WHERE session_id = ? AND project_key = ? AND subpath = ? ORDER BY id",
      ),
      sessions: db.query<{ session_id: string; mtime: number }, [string]>(
        `SELECT session_id, MAX(added_at) AS mtime FROM transcript_entries
         WHERE project_key = ? AND subpath = '' GROUP BY session_id`,
      ),
      subkeys: db.query<{ subpath: string }, [string, string]>(
        "SELECT DISTINCT subpath FROM transcript_entries WHERE session_id = ? AND project_key = ? AND subpath != ''",
      ),
      deleteKey: db.query("DELETE FROM transcript_entries WHERE session_id = ? AND project_key = ? AND subpath = ?"),
      deleteSession: db.query("DELETE FROM transcript_entries WHERE session_id = ?"),
    };
  }

  append(key: SessionKey, entries: SessionStoreEntry[]): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const entry of entries) {
        this.q.insert.run(
          key.projectKey,
          key.sessionId,
          key.subpath ?? "",
          typeof entry.uuid === "string" ? entry.uuid : null,
          JSON.stringify(entry),
          now,
        );
      }
    })();
  }

  load(key: SessionKey): SessionStoreEntry[] | null {
    const rows = this.q.load.all(key.sessionId, key.projectKey, key.subpath ?? "");
    return rows.length === 0 ? null : rows.map((row) => JSON.parse(row.entry) as SessionStoreEntry);
  }

  listSessions(projectKey: string): { sessionId: string; mtime: number }[] {
    return this.q.sessions.all(projectKey).map((row) => ({ sessionId: row.session_id, mtime: row.mtime }));
  }

  listSubkeys(key: { projectKey: string; sessionId: string }): string[] {
    return this.q.subkeys.all(key.sessionId, key.projectKey).map((row) => row.subpath);
  }

  delete(key: SessionKey): void {
    if (key.subpath === undefined) this.q.deleteSession.run(key.sessionId);
    else this.q.deleteKey.run(key.sessionId, key.projectKey, key.subpath);
  }

  /** Forgets a conversation (its Pocket Agent session was deleted). */
  forget(claudeSessionId: string): void {
    this.q.deleteSession.run(claudeSessionId);
  }

  /**
   * The SDK adapter for CLIs whose config dir is `configDir`: mirrors everything, and resumes
   * from the mirror only when the CLI's own transcript file is missing.
   */
  adapterFor(configDir: string): SessionStore {
    return {
      append: async (key, entries) => this.append(key, entries),
      load: async (key) => {
        const local = join(configDir, "projects", key.projectKey, `${key.sessionId}.jsonl`);
        if (key.subpath === undefined && existsSync(local)) return null;
        return this.load(key);
      },
      listSessions: async (projectKey) => this.listSessions(projectKey),
      listSubkeys: async (key) => this.listSubkeys(key),
      delete: async (key) => this.delete(key),
    };
  }
}

/** Where a CLI started with `env` keeps its config, sessions and transcripts. */
export function claudeConfigDir(env: Record<string, string | undefined>): string {
  return env.CLAUDE_CONFIG_DIR || join(homedir(), ".claude");
}
