import { describe, expect, test } from "bun:test";
import type { Session } from "../../shared/messages.ts";
import { inboxSections, titleMatches } from "./inbox.ts";
import { lastLine, rowState } from "./rowState.ts";
import { isUnread, loadSeen, SEEN_KEY, saveSeen, updateSeen } from "./unread.ts";

let clock = Date.parse("2026-12-01T10:00:00.000Z");
const session = (title: string, extra: Partial<Session> = {}): Session => {
  clock += 60_000;
  const at = new Date(clock).toISOString();
  return {
    id: crypto.randomUUID(),
    title,
    model: "sonnet",
    cwd: "/work/app",
    project: "/work/app",
    permissionMode: "default",
    pinned: false,
    archived: false,
    status: "idle",
    queued: 0,
    pendingPermissions: 0,
    lastSeq: 4,
    createdAt: at,
    updatedAt: at,
    ...extra,
  };
};

describe("inbox sections", () => {
  test("needs you first (even archived), then pinned, then recent by project, archived last", () => {
    const old = session("old");
    const waiting = session("waiting", { pendingPermissions: 1 });
    const pinned = session("pinned", { pinned: true });
    const archived = session("archived", { archived: true });
    const archivedWaiting = session("archived but waiting", { archived: true, pendingPermissions: 2 });
    const other = session("other project", { project: "/work/site" });
    const sections = inboxSections([old, waiting, pinned, archived, archivedWaiting, other]);
    expect(sections.needsYou.map((s) => s.title)).toEqual(["archived but waiting", "waiting"]);
    expect(sections.pinned.map((s) => s.title)).toEqual(["pinned"]);
    expect(sections.recent).toEqual([
      { project: "/work/site", sessions: [other] },
      { project: "/work/app", sessions: [old] },
    ]);
    expect(sections.archived.map((s) => s.title)).toEqual(["archived"]);
  });

  test("a search keeps the sections, with only what matched", () => {
    const a = session("Refactor auth");
    const b = session("Billing", { archived: true });
    const c = session("Docs");
    const sections = inboxSections([a, b, c], new Set([a.id, b.id]));
    expect(sections.recent.flatMap((g) => g.sessions)).toEqual([a]);
    expect(sections.archived).toEqual([b]);
    expect(titleMatches([a, b, c], " AUTH ")).toEqual(new Set([a.id]));
  });
});

describe("unread", () => {
  test("a session met for the first time is seen as it is; the watched one keeps up; others fall behind", () => {
    const a = session("a", { lastSeq: 10 });
    const b = session("b", { lastSeq: 3 });
    let seen = updateSeen({}, [a, b], a.id);
    expect(seen).toEqual({ [a.id]: 10, [b.id]: 3 });
    const later = [
      { ...a, lastSeq: 14 },
      { ...b, lastSeq: 9 },
    ];
    seen = updateSeen(seen, later, a.id);
    expect(seen).toEqual({ [a.id]: 14, [b.id]: 3 });
    expect(isUnread(later[1] as Session, seen, a.id)).toBe(true);
    expect(isUnread(later[0] as Session, seen, a.id)).toBe(false);
    // Still running: not a finished reply yet.
    expect(isUnread({ ...(later[1] as Session), status: "running" }, seen, a.id)).toBe(false);
    // Opening it catches up.
    seen = updateSeen(seen, later, b.id);
    expect(isUnread(later[1] as Session, seen, null)).toBe(false);
  });

  test("nothing changed: the same object; a deleted session is forgotten", () => {
    const a = session("a");
    const seen = updateSeen({}, [a], null);
    expect(updateSeen(seen, [a], null)).toBe(seen);
    expect(updateSeen(seen, [], null)).toEqual({});
  });

  test("stored per device; a broken value starts empty", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    };
    saveSeen(storage, { x: 3 });
    expect(loadSeen(storage)).toEqual({ x: 3 });
    store.set(SEEN_KEY, "{not json");
    expect(loadSeen(storage)).toEqual({});
    store.set(SEEN_KEY, JSON.stringify({ x: "3", y: 2 }));
    expect(loadSeen(storage)).toEqual({ y: 2 });
    expect(loadSeen(null)).toEqual({});
  });
});

describe("a row's state line", () => {
  test("waiting beats running beats failed beats unread", () => {
    expect(rowState(session("s", { pendingPermissions: 1, status: "running" }), true)).toEqual({
      text: "Waiting for you",
      tone: "attention",
    });
    expect(rowState(session("s", { status: "running", activity: "Running `npm test`", queued: 2 }), false)).toEqual({
      text: "Running `npm test`… · 2 queued",
      tone: "running",
    });
    expect(rowState(session("s", { status: "running" }), false)?.text).toBe("Working…");
    expect(rowState(session("s", { lastOutcome: "failed" }), true)?.tone).toBe("error");
    expect(rowState(session("s", { lastOutcome: "done" }), true)).toEqual({ text: "New reply", tone: "unread" });
    expect(rowState(session("s", { lastOutcome: "done" }), false)).toBeNull();
    expect(rowState(session("s", { lastOutcome: "stopped" }), false)?.text).toBe("Stopped");
  });

  test("the last line says whose it is", () => {
    expect(lastLine(session("s", { lastMessage: { from: "you", text: "fix it" } }))).toBe("You: fix it");
    expect(lastLine(session("s", { lastMessage: { from: "agent", text: "Fixed." } }))).toBe("Fixed.");
    expect(lastLine(session("s"))).toBeNull();
  });
});
