import type { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeRunner, type FakeRunner } from "../../../tests/fixtures/fakeAgentRunner.ts";
import { toolHeavyTurn } from "../../../tests/fixtures/turnShapes.ts";
import { LIMITS, type SessionEvent } from "../../shared/messages.ts";
import { Bus } from "../bus.ts";
import { openDatabase } from "../storage/database.ts";
import { SessionService } from "./sessionService.ts";
import { SessionStore } from "./store.ts";

/** What a finished turn leaves in SQLite, and what a subscriber gets back from it. */
let dataDir: string;
let db: Database;
let store: SessionStore;
let bus: Bus;
let runner: FakeRunner;
let service: SessionService;
let published: SessionEvent[];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "pocket-compaction-"));
  db = openDatabase(dataDir);
  store = new SessionStore(db);
  bus = new Bus();
  published = [];
  bus.on("sessionEvent", (event) => published.push(event));
  runner = createFakeRunner();
  service = new SessionService({
    store,
    runner,
    bus,
    defaultModel: "haiku",
    workdirRoots: [dataDir],
    idleTimeoutMs: 60_000,
  });
});
afterEach(async () => {
  await service.shutdown();
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function turnEnd(requestId: string): Promise<SessionEvent> {
  return new Promise((resolve) => {
    const off = bus.on("sessionEvent", (event) => {
      if (event.payload.requestId !== requestId) return;
      if (event.type !== "chat:response" && event.type !== "chat:error") return;
      off();
      resolve(event);
    });
  });
}

async function runTurn(sessionId: string, message = "fix the tests"): Promise<string> {
  const requestId = crypto.randomUUID();
  const ended = turnEnd(requestId);
  service.send({ sessionId, requestId, message });
  await ended;
  return requestId;
}

function storedRows(sessionId: string): { type: string; payload: string }[] {
  return db
    .query<{ type: string; payload: string }, [string]>(
      "SELECT type, payload FROM events WHERE session_id = ? ORDER BY seq",
    )
    .all(sessionId);
}

describe("a finished turn is stored once", () => {
  test("an answered turn keeps no deltas, and its logs only as log events", async () => {
    const session = service.create({});
    const shape = toolHeavyTurn();
    runner.script(shape);
    const requestId = await runTurn(session.id);

    const live = published.filter((e) => e.payload.requestId === requestId);
    expect(live.filter((e) => e.type === "chat:delta")).toHaveLength(25);
    const rows = storedRows(session.id);
    expect(rows.filter((r) => r.type === "chat:delta")).toHaveLength(0);
    const logRows = rows.filter((r) => r.type === "log");
    expect(logRows).toHaveLength(live.filter((e) => e.type === "log").length);
    const responseRow = rows.find((r) => r.type === "chat:response");
    expect(JSON.parse(responseRow?.payload ?? "{}").logs).toBeUndefined();
    // Every tool output appears once in the table.
    expect(JSON.stringify(shape.messages[1])).toContain("case 1.7 passes");
    expect(rows.filter((r) => r.payload.includes("case 1.7 passes"))).toHaveLength(1);

    // Replay gives back the response as it went out live: its text and all its logs.
    const liveResponse = live.find((e) => e.type === "chat:response");
    const { events } = service.replay(session.id, 0);
    expect(events.find((e) => e.type === "chat:response") as SessionEvent | undefined).toEqual(liveResponse);
    expect(events.map((e) => e.type)).not.toContain("chat:delta");
    expect(events.map((e) => e.payload.seq)).toEqual(
      live.filter((e) => e.type !== "chat:delta").map((e) => e.payload.seq),
    );
  });

  test("a failed turn keeps its partial text as one delta at the first delta's seq", async () => {
    const session = service.create({});
    runner.script({ deltas: ["half ", "an ", "answer"], fail: { code: "API_ERROR", message: "API Error: 500" } });
    const requestId = await runTurn(session.id);
    const liveDeltas = published.filter((e) => e.type === "chat:delta" && e.payload.requestId === requestId);
    const { events } = service.replay(session.id, 0);
    const deltas: SessionEvent[] = events.filter((e) => e.type === "chat:delta");
    const first = liveDeltas[0];
    if (first?.type !== "chat:delta") throw new Error("no delta went out");
    expect(deltas).toEqual([{ type: "chat:delta", payload: { ...first.payload, text: "half an answer" } }]);
    expect(events.at(-1)?.type).toBe("chat:error");
  });

  test("history pages carry the response's logs too", async () => {
    const session = service.create({});
    runner.script(toolHeavyTurn());
    const requestId = await runTurn(session.id);
    const response = published.find((e) => e.type === "chat:response" && e.payload.requestId === requestId);
    const page = service.history(session.id, (response?.payload.seq ?? 0) + 1, 1);
    expect(page.events).toEqual([response as SessionEvent]);
  });

  test("a response stored by an older version, logs inline, still replays as it was", async () => {
    const session = service.create({});
    const requestId = crypto.randomUUID();
    const old = { response: "done", logs: ['{"type":"result"}'], requestId, durationMs: 5 };
    db.run("UPDATE sessions SET last_seq = 1 WHERE id = ?", [session.id]);
    db.run("INSERT INTO events (session_id, seq, type, request_id, payload) VALUES (?, 1, 'chat:response', ?, ?)", [
      session.id,
      requestId,
      JSON.stringify({ ...old, sessionId: session.id, seq: 1 }),
    ]);
    const { events } = service.replay(session.id, 0);
    expect(events).toEqual([{ type: "chat:response", payload: { ...old, sessionId: session.id, seq: 1 } }]);
  });
});

describe("the tail replayed without afterSeq", () => {
  test("is the last LIMITS.tailTurns turns, however many events they hold", async () => {
    const session = service.create({});
    const requestIds: string[] = [];
    for (let i = 0; i < LIMITS.tailTurns + 2; i++) requestIds.push(await runTurn(session.id, `turn ${i}`));
    // The newest turn alone holds more events than the old 300-event tail.
    runner.script(toolHeavyTurn({ toolLogs: 400 }));
    requestIds.push(await runTurn(session.id, "a long one"));

    const { events, fromSeq } = service.replay(session.id);
    const turns = [...new Set(events.map((e) => e.payload.requestId))];
    expect(turns).toEqual(requestIds.slice(-LIMITS.tailTurns));
    expect(events[0]?.type).toBe("chat:queued");
    expect(fromSeq).toBe(events[0]?.payload.seq ?? -1);
    expect(events.filter((e) => e.type === "log").length).toBeGreaterThan(400);
  });

  test("is everything when the session has fewer turns", async () => {
    const session = service.create({});
    await runTurn(session.id, "only one");
    const { events, fromSeq } = service.replay(session.id);
    expect(fromSeq).toBe(1);
    expect(events[0]?.type).toBe("chat:queued");
  });
});
