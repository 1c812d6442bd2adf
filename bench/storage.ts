/**
 * bench/storage: bytes stored per turn. Each turn streams 25 deltas and reports 20 tool logs
 * (tests/fixtures/turnShapes.ts), run through the real session service and SQLite with the
 * in-process fake agent.
 *
 * Side by side in one run:
 * - baseline: every event stored as it went out (what the server did before compaction), written
 *   to a second database with the same schema, row for row;
 * - now: what the session service keeps (deltas dropped once the response holds the text; each
 *   log stored once, the response without its copy).
 * Payload bytes count the JSON; page bytes are SQLite's own (table + index pages, `dbstat`).
 */
import type { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bus } from "../src/server/bus.ts";
import { setLogLevel } from "../src/server/logger.ts";
import { SessionService } from "../src/server/sessions/sessionService.ts";
import { SessionStore } from "../src/server/sessions/store.ts";
import { openDatabase } from "../src/server/storage/database.ts";
import type { SessionEvent } from "../src/shared/messages.ts";
import { createFakeRunner } from "../tests/fixtures/fakeAgentRunner.ts";
import { toolHeavyTurn } from "../tests/fixtures/turnShapes.ts";

const TURNS = Number(process.env.STORAGE_TURNS ?? 50);

interface Measure {
  rows: number;
  payloadBytes: number;
  pageBytes: number;
}

function measure(db: Database, sessionId: string): Measure {
  const rows = db
    .query<{ rows: number; bytes: number }, [string]>(
      "SELECT COUNT(*) AS rows, SUM(LENGTH(CAST(payload AS BLOB))) AS bytes FROM events WHERE session_id = ?",
    )
    .get(sessionId);
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  const pages = db
    .query<{ bytes: number }, []>(
      "SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name IN ('events', 'events_by_turn', 'sqlite_autoindex_events_1')",
    )
    .get();
  return { rows: rows?.rows ?? 0, payloadBytes: rows?.bytes ?? 0, pageBytes: pages?.bytes ?? 0 };
}

export async function run(): Promise<string> {
  setLogLevel("error");
  const dir = mkdtempSync(join(tmpdir(), "pocket-bench-storage-"));
  const db = openDatabase(join(dir, "now"));
  const asSent = openDatabase(join(dir, "as-sent"));
  const bus = new Bus();
  const runner = createFakeRunner();
  const service = new SessionService({
    store: new SessionStore(db),
    runner,
    bus,
    defaultModel: "haiku",
    workdirRoots: [dir],
    idleTimeoutMs: 60_000,
  });
  const session = service.create({});
  asSent.run(
    "INSERT INTO sessions (id, title, model, cwd, permission_mode, last_seq, created_at, updated_at) VALUES (?, 't', 'haiku', ?, 'default', 0, '', '')",
    [session.id, dir],
  );
  const insertAsSent = asSent.query(
    "INSERT INTO events (session_id, seq, type, request_id, payload) VALUES (?, ?, ?, ?, ?)",
  );
  let ended: (() => void) | null = null;
  bus.on("sessionEvent", (event: SessionEvent) => {
    insertAsSent.run(session.id, event.payload.seq, event.type, event.payload.requestId, JSON.stringify(event.payload));
    if (event.type === "chat:response" || event.type === "chat:error") ended?.();
  });
  for (let i = 0; i < TURNS; i++) {
    runner.script(toolHeavyTurn());
    const done = new Promise<void>((resolve) => {
      ended = resolve;
    });
    service.send({ sessionId: session.id, requestId: crypto.randomUUID(), message: `fix test ${i}` });
    await done;
  }
  const before = measure(asSent, session.id);
  const after = measure(db, session.id);
  await service.shutdown();
  db.close();
  asSent.close();
  rmSync(dir, { recursive: true, force: true });

  const perTurn = (m: Measure) => [m.rows / TURNS, m.payloadBytes / TURNS, m.pageBytes / TURNS] as const;
  const row = (name: string, m: Measure) => {
    const [rows, payload, pages] = perTurn(m);
    return `| ${name} | ${rows.toFixed(0)} | ${(payload / 1024).toFixed(1)} KB | ${(pages / 1024).toFixed(1)} KB |`;
  };
  const saved = 1 - after.pageBytes / before.pageBytes;
  return [
    `### storage (${TURNS} turns of 25 deltas + 20 tool logs; per turn)`,
    "",
    "| stored | rows | payload | SQLite pages |",
    "| --- | --- | --- | --- |",
    row("every event as sent (before)", before),
    row("compacted (now)", after),
    "",
    `${(saved * 100).toFixed(0)}% fewer bytes on disk per turn.`,
  ].join("\n");
}

if (import.meta.main) console.log(await run());
