import { describe, expect, test } from "bun:test";
import { IDBFactory } from "fake-indexeddb";
import type { Session, SessionEvent } from "../../shared/messages.ts";
import { IndexedDbConversationCache } from "./indexedDbCache.ts";
import {
  type ConversationCache,
  checkSaved,
  MemoryConversationCache,
  SAVED_SESSIONS,
  SAVED_TURNS,
  savedRecord,
  trimForSaving,
} from "./savedConversations.ts";

const sessionId = "7d1f3c1e-8a43-4b6f-9d57-3c4a3c0f2a11";

/** A session's log as the server numbers it: `finished` answered turns, then optionally one still running. */
function conversation(finished: number, runningTurn = false): SessionEvent[] {
  const events: SessionEvent[] = [];
  let seq = 0;
  const base = () => ({ sessionId, seq: ++seq });
  const turn = (n: number, done: boolean) => {
    const requestId = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    const at = "2026-12-03T10:00:00.000Z";
    events.push({ type: "chat:queued", payload: { ...base(), requestId, message: `message ${n}`, at } });
    events.push({ type: "chat:started", payload: { ...base(), requestId, at } });
    events.push({ type: "chat:delta", payload: { ...base(), requestId, text: "Do" } });
    events.push({ type: "log", payload: { ...base(), requestId, data: '{"type":"assistant"}' } });
    events.push({ type: "chat:delta", payload: { ...base(), requestId, text: "ne." } });
    if (done) {
      events.push({
        type: "chat:response",
        payload: { ...base(), requestId, response: "Done.", logs: ['{"type":"assistant"}'], durationMs: 5 },
      });
    }
  };
  for (let n = 1; n <= finished; n++) turn(n, true);
  if (runningTurn) turn(finished + 1, false);
  return events;
}

const session = (id: string, title = "A session"): Session => ({
  id,
  title,
  model: "sonnet",
  cwd: "/work/project",
  project: "/work/project",
  permissionMode: "default",
  pinned: false,
  archived: false,
  status: "idle",
  queued: 0,
  pendingPermissions: 0,
  lastSeq: 0,
  createdAt: "2026-12-03T10:00:00.000Z",
  updatedAt: "2026-12-03T10:00:00.000Z",
});

describe("trimForSaving", () => {
  test("keeps the last turns, finished ones as their response only", () => {
    const events = conversation(SAVED_TURNS + 3);
    const { events: kept, hasEarlier } = trimForSaving(events, false);
    expect(hasEarlier).toBe(true);
    const messages = kept.flatMap((event) => (event.type === "chat:queued" ? [event.payload.message] : []));
    expect(messages).toEqual(Array.from({ length: SAVED_TURNS }, (_, i) => `message ${i + 4}`));
    expect(kept.some((event) => event.type === "chat:delta" || event.type === "log")).toBe(false);
    expect(kept.filter((event) => event.type === "chat:response")).toHaveLength(SAVED_TURNS);
  });

  test("the copy ends before the first turn that has not finished", () => {
    const events = conversation(2, true);
    const { events: kept, hasEarlier } = trimForSaving(events, false);
    expect(hasEarlier).toBe(false);
    expect(kept.at(-1)?.type).toBe("chat:response");
    const messages = kept.flatMap((event) => (event.type === "chat:queued" ? [event.payload.message] : []));
    expect(messages).toEqual(["message 1", "message 2"]);
  });

  test("a failed turn keeps its deltas: they are all the text it has", () => {
    const events = conversation(1, true);
    const requestId = events.at(-1)?.payload.requestId ?? "";
    const seq = (events.at(-1)?.payload.seq ?? 0) + 1;
    const failed: SessionEvent = {
      type: "chat:error",
      payload: { sessionId, seq, requestId, code: "CANCELLED", message: "Stopped." },
    };
    const { events: kept } = trimForSaving([...events, failed], false);
    const last = kept.filter((event) => event.payload.requestId === requestId);
    expect(last.map((event) => event.type)).toEqual([
      "chat:queued",
      "chat:started",
      "chat:delta",
      "log",
      "chat:delta",
      "chat:error",
    ]);
  });

  test("older events on the server stay known even when nothing is trimmed", () => {
    expect(trimForSaving(conversation(1), true).hasEarlier).toBe(true);
    expect(trimForSaving([], false)).toEqual({ events: [], hasEarlier: false });
  });
});

describe("checkSaved", () => {
  const saved = { sessionId, events: conversation(1), hasEarlier: false, savedAt: 5 };

  test("reads back what was written", () => {
    expect(checkSaved(savedRecord(saved), sessionId)).toEqual(saved);
  });

  test("refuses another format, another session, events out of order or one it does not know", () => {
    expect(checkSaved({ ...savedRecord(saved), format: 0 }, sessionId)).toBeNull();
    expect(checkSaved(savedRecord(saved), "another")).toBeNull();
    const [first, second, ...rest] = saved.events;
    expect(
      checkSaved(savedRecord({ ...saved, events: [second, first, ...rest] as SessionEvent[] }), sessionId),
    ).toBeNull();
    const unknown = { type: "chat:teleported", payload: { sessionId, seq: 99 } } as unknown as SessionEvent;
    expect(checkSaved(savedRecord({ ...saved, events: [...saved.events, unknown] }), sessionId)).toBeNull();
    expect(checkSaved("junk", sessionId)).toBeNull();
  });
});

/** The same contract, for the browser's store and the memory one. */
function contract(name: string, make: () => ConversationCache) {
  describe(name, () => {
    test("keeps the most recently saved sessions only", async () => {
      const cache = make();
      const ids = Array.from({ length: SAVED_SESSIONS + 2 }, () => crypto.randomUUID());
      for (const [i, id] of ids.entries()) {
        await cache.save({ sessionId: id, events: [], hasEarlier: false, savedAt: 1_000 + i });
      }
      const kept = await Promise.all(ids.map(async (id) => (await cache.load(id)) !== null));
      expect(kept).toEqual(ids.map((_, i) => i >= 2));
    });

    test("saving a session again replaces its copy", async () => {
      const cache = make();
      await cache.save({ sessionId, events: conversation(1), hasEarlier: false, savedAt: 1 });
      await cache.save({ sessionId, events: conversation(2), hasEarlier: true, savedAt: 2 });
      const saved = await cache.load(sessionId);
      expect(saved?.events).toHaveLength(conversation(2).length);
      expect(saved?.hasEarlier).toBe(true);
    });

    test("retain forgets the sessions the server no longer lists; clear forgets everything", async () => {
      const cache = make();
      const other = crypto.randomUUID();
      await cache.save({ sessionId, events: conversation(1), hasEarlier: false, savedAt: 1 });
      await cache.save({ sessionId: other, events: [], hasEarlier: false, savedAt: 2 });
      await cache.saveSessions([session(other, "Kept")]);
      await cache.retain(new Set([other]));
      expect(await cache.load(sessionId)).toBeNull();
      expect(await cache.load(other)).not.toBeNull();
      expect((await cache.loadSessions())?.map((s) => s.title)).toEqual(["Kept"]);
      await cache.clear();
      expect(await cache.load(other)).toBeNull();
      expect(await cache.loadSessions()).toBeNull();
    });
  });
}

contract("IndexedDbConversationCache", () => new IndexedDbConversationCache(new IDBFactory()));
contract("MemoryConversationCache", () => new MemoryConversationCache());

test("a browser whose IndexedDB cannot open keeps nothing and reports nothing", async () => {
  const broken = {
    open: () => {
      throw new Error("SecurityError");
    },
  } as unknown as IDBFactory;
  const cache = new IndexedDbConversationCache(broken);
  await cache.save({ sessionId, events: conversation(1), hasEarlier: false, savedAt: 1 });
  expect(await cache.load(sessionId)).toBeNull();
});
