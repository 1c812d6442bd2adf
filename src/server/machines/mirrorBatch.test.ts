import type { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Session, SessionEvent } from "../../shared/messages.ts";
import { openDatabase } from "../storage/database.ts";
import { MirrorBatch, type Mirrored } from "./mirrorBatch.ts";
import { MachineStore } from "./store.ts";

/**
 * The mirror's batched writes against the real machines tables: one transaction per batch, each
 * new event published once, in arrival order, only after its batch is committed.
 */
let dataDir: string;
let db: Database;
let store: MachineStore;
const machineId = crypto.randomUUID();
const sessionId = crypto.randomUUID();
const requestId = crypto.randomUUID();

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "pocket-mirror-"));
  db = openDatabase(dataDir);
  store = new MachineStore(db);
  store.insert({
    id: machineId,
    name: "desk",
    url: "http://127.0.0.1:1",
    token: "t",
    pin: null,
    createdAt: new Date().toISOString(),
    lastSeenAt: null,
  });
  store.saveSession(machineId, { id: sessionId, title: "s" } as Session);
});
afterEach(() => {
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const delta = (seq: number, text = "x"): SessionEvent => ({
  type: "chat:delta",
  payload: { sessionId, seq, requestId, text },
});
const response = (seq: number): SessionEvent => ({
  type: "chat:response",
  payload: { sessionId, seq, requestId, response: "done", logs: [], durationMs: 1 },
});

/** A batch whose flushes the test runs by hand, and what it published (with the stored seqs seen then). */
function harness(options: { save?: (events: readonly SessionEvent[]) => boolean[] } = {}) {
  const flushes: (() => void)[] = [];
  const published: { item: Mirrored; storedThen: number }[] = [];
  const batch = new MirrorBatch({
    save: options.save ?? ((events) => store.saveEvents(events)),
    keeps: (event) => event.payload.sessionId === sessionId,
    publish: (item) => published.push({ item, storedThen: store.maxSeq(sessionId) }),
    schedule: (flush) => flushes.push(flush),
  });
  return { batch, flushes, published, seqs: () => published.map((p) => p.item.event.payload.seq) };
}

describe("the mirror's batched writes", () => {
  test("one flush per burst; nothing is published before it, then each new event once, in order", () => {
    const { batch, flushes, published, seqs } = harness();
    for (let seq = 1; seq <= 5; seq++) batch.add({ event: delta(seq), replayed: false });
    expect(flushes).toHaveLength(1);
    expect(published).toEqual([]);
    expect(store.maxSeq(sessionId)).toBe(0);
    flushes[0]?.();
    expect(seqs()).toEqual([1, 2, 3, 4, 5]);
    // Published after the commit: a phone subscribing from any of these finds all of the batch stored.
    expect(published.every((p) => p.storedThen === 5)).toBe(true);
    expect(batch.size).toBe(0);
  });

  test("duplicates inside a batch and across batches (a catch-up overlapping live events) are published once", () => {
    const { batch, flushes, seqs, published } = harness();
    batch.add({ event: delta(1), replayed: false });
    batch.add({ event: delta(2), replayed: false });
    batch.add({ event: delta(2, "copy"), replayed: true });
    flushes.shift()?.();
    batch.add({ event: delta(1), replayed: true });
    batch.add({ event: delta(2), replayed: true });
    batch.add({ event: delta(3), replayed: true });
    flushes.shift()?.();
    expect(seqs()).toEqual([1, 2, 3]);
    // The first copy wins, as stored: the later replayed copy of seq 2 is dropped.
    expect(published[1]?.item).toEqual({ event: delta(2), replayed: false });
    expect(published[2]?.item.replayed).toBe(true);
    expect(store.eventsAfter(sessionId, 0).map((e) => e.payload.seq)).toEqual([1, 2, 3]);
  });

  test("an early flush writes what is queued; the scheduled one then has nothing to do", () => {
    const { batch, flushes, seqs } = harness();
    batch.add({ event: delta(1), replayed: false });
    batch.flush();
    expect(seqs()).toEqual([1]);
    flushes[0]?.();
    expect(seqs()).toEqual([1]);
    // A new burst after an early flush is scheduled again.
    batch.add({ event: delta(2), replayed: false });
    expect(flushes).toHaveLength(2);
    flushes[1]?.();
    expect(seqs()).toEqual([1, 2]);
  });

  test("an answer in the same batch as its deltas drops them, as the machine does", () => {
    const { batch, flushes, seqs } = harness();
    batch.add({ event: delta(1), replayed: false });
    batch.add({ event: delta(2), replayed: false });
    batch.add({ event: response(3), replayed: false });
    flushes[0]?.();
    // Both deltas went out live before the answer; only the answer stays stored.
    expect(seqs()).toEqual([1, 2, 3]);
    expect(store.eventsAfter(sessionId, 0).map((e) => e.type)).toEqual(["chat:response"]);
  });

  test("a session forgotten before the flush: its queued events are neither stored nor published", () => {
    const other = crypto.randomUUID();
    const { batch, flushes, seqs } = harness();
    const elsewhere: SessionEvent = { type: "chat:delta", payload: { sessionId: other, seq: 1, requestId, text: "x" } };
    batch.add({ event: elsewhere, replayed: false });
    batch.add({ event: delta(1), replayed: false });
    flushes[0]?.();
    expect(seqs()).toEqual([1]);
    expect(store.maxSeq(other)).toBe(0);
  });

  test("a failed write stores and publishes none of the batch: the next catch-up starts before it", () => {
    const { batch, flushes, published } = harness({
      save: (events) =>
        db.transaction(() => {
          const saved = store.saveEvents(events);
          throw new Error(`disk full after ${saved.length}`);
        })(),
    });
    batch.add({ event: delta(1), replayed: false });
    batch.add({ event: delta(2), replayed: false });
    flushes[0]?.();
    expect(published).toEqual([]);
    expect(store.maxSeq(sessionId)).toBe(0);
  });
});
