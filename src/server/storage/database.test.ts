import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SessionStore } from "../sessions/store.ts";
import { migrations, openDatabase } from "./database.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pocket-db-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A database as the server before projects (schema version 3) left it, with one session in it. */
function databaseBeforeProjects(): void {
  const db = new Database(join(dir, "pocket-agent.sqlite"), { create: true, strict: true });
  for (const sql of migrations.slice(0, 3)) db.run(sql);
  db.run("PRAGMA user_version = 3");
  db.run(
    `INSERT INTO sessions (id, title, model, cwd, permission_mode, claude_session_id, last_seq, created_at, updated_at)
     VALUES ('11111111-1111-4111-8111-111111111111', 'Fix the build', 'haiku', '/home/me/code/shop', 'default',
             '22222222-2222-4222-8222-222222222222', 1, '2026-11-30T10:00:00.000Z', '2026-11-30T10:00:00.000Z')`,
  );
  db.run(
    `INSERT INTO events (session_id, seq, type, request_id, payload) VALUES ('11111111-1111-4111-8111-111111111111', 1,
     'chat:queued', '33333333-3333-4333-8333-333333333333', '{"message":"fix it"}')`,
  );
  db.close();
}

describe("migrations", () => {
  test("a session's totals count the turns it finished before they were kept", () => {
    databaseBeforeProjects();
    const old = new Database(join(dir, "pocket-agent.sqlite"), { strict: true });
    const response = (seq: number, extra: object) =>
      old.run(
        `INSERT INTO events (session_id, seq, type, request_id, payload) VALUES ('11111111-1111-4111-8111-111111111111', ?,
         'chat:response', ?, ?)`,
        [seq, crypto.randomUUID(), JSON.stringify({ response: "done", durationMs: 1500, ...extra })],
      );
    response(2, {
      costUsd: 0.25,
      usage: { inputTokens: 10, outputTokens: 20, cacheReadTokens: 30, cacheCreationTokens: 40 },
    });
    response(3, {}); // a turn that reported neither cost nor tokens
    old.run("UPDATE sessions SET last_seq = 3");
    old.close();

    const db = openDatabase(dir);
    const store = new SessionStore(db);
    const totals = {
      turns: 2,
      durationMs: 3000,
      costUsd: 0.25,
      usage: { inputTokens: 10, outputTokens: 20, cacheReadTokens: 30, cacheCreationTokens: 40 },
    };
    expect(store.listSessions()[0]?.totals).toEqual(totals);
    // Kept from then on, in the database as in memory.
    const sessionId = "11111111-1111-4111-8111-111111111111";
    store.appendEvent(sessionId, "chat:response", {
      requestId: crypto.randomUUID(),
      response: "again",
      logs: [],
      durationMs: 500,
      costUsd: 0.5,
    });
    const after = { ...totals, turns: 3, durationMs: 3500, costUsd: 0.75 };
    expect(store.listSessions()[0]?.totals).toEqual(after);
    expect(new SessionStore(db).listSessions()[0]?.totals).toEqual(after);
    db.close();
  });

  test("an existing user's sessions survive the projects migration, each in the project of its cwd", () => {
    databaseBeforeProjects();
    const db = openDatabase(dir);
    expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(migrations.length);
    const store = new SessionStore(db);
    expect(store.listSessions()).toEqual([
      {
        id: "11111111-1111-4111-8111-111111111111",
        title: "Fix the build",
        model: "haiku",
        cwd: "/home/me/code/shop",
        permissionMode: "default",
        claudeSessionId: "22222222-2222-4222-8222-222222222222",
        lastSeq: 1,
        createdAt: "2026-11-30T10:00:00.000Z",
        updatedAt: "2026-11-30T10:00:00.000Z",
        project: "/home/me/code/shop",
        importedFrom: null,
        forked: false,
        pinned: false,
        archived: false,
        lastMessage: { from: "you", text: "fix it" },
        lastOutcome: null,
        totals: { turns: 0, durationMs: 0 },
      },
    ]);
    expect(store.eventsAfter("11111111-1111-4111-8111-111111111111", 0)).toHaveLength(1);
    db.close();
  });

  test("the inbox migration fills each row's newest message (as plain text) and how its newest turn ended", () => {
    databaseBeforeProjects();
    const raw = new Database(join(dir, "pocket-agent.sqlite"), { strict: true });
    const id = "11111111-1111-4111-8111-111111111111";
    raw.run(`INSERT INTO events (session_id, seq, type, request_id, payload) VALUES (?, 2, 'chat:response', ?, ?)`, [
      id,
      "33333333-3333-4333-8333-333333333333",
      JSON.stringify({ response: "Looked.\n\n**Fixed** the `build`." }),
    ]);
    raw.run(
      `INSERT INTO turns (request_id, session_id, message, status, created_at, ended_at)
       VALUES ('33333333-3333-4333-8333-333333333333', ?, 'fix it', 'cancelled', '2026-11-30T10:00:00.000Z', '2026-11-30T10:01:00.000Z')`,
      [id],
    );
    raw.close();
    const db = openDatabase(dir);
    const [session] = new SessionStore(db).listSessions();
    expect(session?.lastMessage).toEqual({ from: "agent", text: "Fixed the build." });
    expect(session?.lastOutcome).toBe("stopped");
    db.close();
  });

  test("a desk session is continued by one session only", () => {
    const db = openDatabase(dir);
    const store = new SessionStore(db);
    const imported = (id: string) => ({
      id,
      title: "t",
      model: "haiku",
      cwd: dir,
      permissionMode: "default" as const,
      createdAt: new Date().toISOString(),
      importedFrom: "44444444-4444-4444-8444-444444444444",
    });
    store.createSession(imported(crypto.randomUUID()));
    expect(() => store.createSession(imported(crypto.randomUUID()))).toThrow(/UNIQUE/);
    db.close();
  });

  test("opening twice does not migrate twice", () => {
    openDatabase(dir).close();
    const db = openDatabase(dir);
    expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(migrations.length);
    db.close();
  });
});
