import { Database } from "bun:sqlite";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Opens (creating if needed) the server's SQLite database and brings its
 * schema up to date. Migrations are append-only: never edit a shipped one.
 */
export const migrations: readonly string[] = [
  `CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     title TEXT NOT NULL,
     model TEXT NOT NULL,
     cwd TEXT NOT NULL,
     permission_mode TEXT NOT NULL,
     claude_session_id TEXT,
     last_seq INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   -- One row per numbered session event, stored before it is emitted, replayed on subscribe.
   CREATE TABLE events (
     session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     type TEXT NOT NULL,
     request_id TEXT,
     payload TEXT NOT NULL,
     PRIMARY KEY (session_id, seq)
   ) WITHOUT ROWID;
   -- One row per chat:send, keyed by its requestId: idempotency, queue order and crash recovery.
   CREATE TABLE turns (
     request_id TEXT PRIMARY KEY,
     session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
     message TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT NOT NULL,
     started_at TEXT,
     ended_at TEXT
   );
   CREATE INDEX turns_by_session_status ON turns(session_id, status);`,
  // A turn's events by requestId, in order: its logs (chat:response is stored without them), its deltas to compact.
  "CREATE INDEX events_by_turn ON events(session_id, request_id, seq);",
  // Claude Code's transcripts, mirrored through the Agent SDK's SessionStore (src/server/agent/transcriptMirror.ts).
  `CREATE TABLE transcript_entries (
     id INTEGER PRIMARY KEY,
     project_key TEXT NOT NULL,
     session_id TEXT NOT NULL,
     subpath TEXT NOT NULL DEFAULT '',
     uuid TEXT,
     entry TEXT NOT NULL,
     added_at INTEGER NOT NULL
   );
   CREATE INDEX transcript_by_session ON transcript_entries(session_id, project_key, subpath, id);
   CREATE UNIQUE INDEX transcript_entry_once ON transcript_entries(project_key, session_id, subpath, uuid)
     WHERE uuid IS NOT NULL;`,
  // Projects (issue 18): the project a session belongs to (its cwd for every existing one), and the
  // Claude Code session it continues from the desk (once per desk session), maybe as a fork.
  `ALTER TABLE sessions ADD COLUMN project TEXT;
   UPDATE sessions SET project = cwd;
   ALTER TABLE sessions ADD COLUMN imported_from TEXT;
   ALTER TABLE sessions ADD COLUMN forked INTEGER NOT NULL DEFAULT 0;
   CREATE UNIQUE INDEX sessions_imported_once ON sessions(imported_from) WHERE imported_from IS NOT NULL;`,
  // Web Push (src/server/push/store.ts): one row per device with notifications on, and the one-time
  // tokens of permission notifications' Allow/Deny buttons (only their SHA-256 is kept).
  `CREATE TABLE push_devices (
     id TEXT PRIMARY KEY,
     endpoint TEXT NOT NULL UNIQUE,
     p256dh TEXT NOT NULL,
     auth TEXT NOT NULL,
     expiration_time INTEGER,
     name TEXT NOT NULL,
     events TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     last_sent_at TEXT,
     last_failed_at TEXT,
     last_error TEXT
   );
   CREATE TABLE push_action_tokens (
     token_hash TEXT PRIMARY KEY,
     permission_id TEXT NOT NULL,
     session_id TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER
   );
   CREATE INDEX push_action_tokens_by_expiry ON push_action_tokens(expires_at);`,
  // The sessions list as an inbox (decision 033): pinned and archived sessions, and what a row shows
  // without reading the session's events: its newest message and how its newest turn ended.
  `ALTER TABLE sessions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN last_message_from TEXT;
   ALTER TABLE sessions ADD COLUMN last_message TEXT;
   ALTER TABLE sessions ADD COLUMN last_outcome TEXT;
   UPDATE sessions SET (last_message_from, last_message) = (
     SELECT CASE type WHEN 'chat:queued' THEN 'you' ELSE 'agent' END,
            substr(json_extract(payload, CASE type WHEN 'chat:queued' THEN '$.message' ELSE '$.response' END), 1, 4000)
     FROM events
     WHERE events.session_id = sessions.id AND type IN ('chat:queued', 'chat:response')
     ORDER BY seq DESC LIMIT 1);
   UPDATE sessions SET last_outcome = (
     SELECT CASE status WHEN 'done' THEN 'done' WHEN 'cancelled' THEN 'stopped' ELSE 'failed' END
     FROM turns
     WHERE turns.session_id = sessions.id AND status NOT IN ('queued', 'running')
     ORDER BY COALESCE(ended_at, created_at) DESC LIMIT 1);`,
  // Images sent with a message (issue 19, decision 050): their bytes, kept with the session and
  // served by `GET /api/attachments/<id>`; events name them only.
  `CREATE TABLE attachments (
     id TEXT PRIMARY KEY,
     session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
     request_id TEXT NOT NULL,
     position INTEGER NOT NULL,
     name TEXT NOT NULL,
     media_type TEXT NOT NULL,
     size INTEGER NOT NULL,
     data BLOB NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX attachments_by_turn ON attachments(request_id, position);`,
  // "Always allow" rules (issue 23, decision 034): kept by Pocket Agent per session, so they can be
  // listed and revoked, and outlive the agent process.
  `CREATE TABLE allow_rules (
     id TEXT PRIMARY KEY,
     session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
     tool_name TEXT NOT NULL,
     kind TEXT NOT NULL,
     content TEXT,
     created_at TEXT NOT NULL
   );
   CREATE INDEX allow_rules_by_session ON allow_rules(session_id, created_at);`,
  // Linked machines (issue 21, decision 060, src/server/machines/store.ts): each one's token and
  // pinned certificate, the sessions it had when last heard from, and a mirror of their events.
  `CREATE TABLE machines (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     url TEXT NOT NULL UNIQUE,
     token TEXT NOT NULL,
     fingerprint TEXT,
     ca_pem TEXT,
     created_at TEXT NOT NULL,
     last_seen_at TEXT
   );
   CREATE TABLE machine_sessions (
     session_id TEXT PRIMARY KEY,
     machine_id TEXT NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
     session TEXT NOT NULL
   );
   CREATE INDEX machine_sessions_by_machine ON machine_sessions(machine_id);
   CREATE TABLE machine_events (
     session_id TEXT NOT NULL REFERENCES machine_sessions(session_id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     type TEXT NOT NULL,
     request_id TEXT,
     payload TEXT NOT NULL,
     PRIMARY KEY (session_id, seq)
   ) WITHOUT ROWID;
   CREATE INDEX machine_events_by_turn ON machine_events(session_id, request_id, seq);`,
  // A session's totals over every finished turn (a phone holds only the turns it loaded): kept as
  // each chat:response is stored, counted from the stored ones for sessions that had turns before.
  // SUM over no reported value is NULL: a cost or token count no turn reported stays unknown.
  `ALTER TABLE sessions ADD COLUMN total_turns INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN total_ms REAL NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN total_cost REAL;
   ALTER TABLE sessions ADD COLUMN total_input INTEGER;
   ALTER TABLE sessions ADD COLUMN total_output INTEGER;
   ALTER TABLE sessions ADD COLUMN total_cache_read INTEGER;
   ALTER TABLE sessions ADD COLUMN total_cache_creation INTEGER;
   UPDATE sessions SET (total_turns, total_ms, total_cost, total_input, total_output, total_cache_read, total_cache_creation) = (
     SELECT COUNT(*), COALESCE(SUM(json_extract(payload, '$.durationMs')), 0), SUM(json_extract(payload, '$.costUsd')),
            SUM(json_extract(payload, '$.usage.inputTokens')), SUM(json_extract(payload, '$.usage.outputTokens')),
            SUM(json_extract(payload, '$.usage.cacheReadTokens')), SUM(json_extract(payload, '$.usage.cacheCreationTokens'))
     FROM events WHERE events.session_id = sessions.id AND type = 'chat:response');`,
];

/**
 * The data directory holds the token and every transcript (tool output included): only its owner
 * may enter it, whatever mode it had (`mkdir` leaves an existing directory's mode alone).
 */
export async function secureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
}

export function openDatabase(dataDir: string, fileName = "pocket-agent.sqlite"): Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, fileName);
  // SQLite gives the -wal and -shm files the database file's mode, so a private database file keeps
  // all three private. Not a process-wide umask: the agent inherits it and would write the user's
  // project files 0600.
  closeSync(openSync(path, "a", 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  // NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash can lose the last commits.
  db.run("PRAGMA synchronous = NORMAL");
  db.run("PRAGMA foreign_keys = ON");
  db.run("PRAGMA busy_timeout = 5000");
  migrate(db);
  return db;
}

function migrate(db: Database): void {
  const row = db.query<{ user_version: number }, []>("PRAGMA user_version").get();
  const current = row?.user_version ?? 0;
  for (let version = current; version < migrations.length; version++) {
    const sql = migrations[version];
    if (sql === undefined) break;
    db.transaction(() => {
      db.run(sql);
      db.run(`PRAGMA user_version = ${version + 1}`);
    })();
  }
}
