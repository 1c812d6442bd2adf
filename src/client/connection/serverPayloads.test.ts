import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { parseServerPayload } from "./serverPayloads.ts";

const sessionId = "7d1c7e0e-4b7a-4c35-9a51-1d6d4c7c2f10";
const requestId = "0b8f6a43-5d0c-4a8e-8a43-39a3b0b4e3b1";
const session = {
  id: sessionId,
  title: "t",
  model: "sonnet",
  cwd: "/w",
  permissionMode: "default",
  status: "idle",
  queued: 0,
  pendingPermissions: 0,
  lastSeq: 3,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  project: "/w",
};

let warn: ReturnType<typeof spyOn>;
beforeAll(() => {
  warn = spyOn(console, "warn").mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

describe("server payloads at the socket boundary", () => {
  test("a valid payload passes; fields this app does not know are dropped", () => {
    const payload = { sessionId, seq: 2, requestId, message: "hi", at: "x", reason: "waiting_for_agent" };
    expect(parseServerPayload("chat:queued", payload)).toEqual({
      sessionId,
      seq: 2,
      requestId,
      message: "hi",
      at: "x",
    });
  });

  test("optional fields may be missing; present ones are checked", () => {
    const base = { sessionId, seq: 4, requestId, response: "r", logs: [], durationMs: 1 };
    expect(parseServerPayload("chat:response", base)).toEqual(base);
    expect(parseServerPayload("chat:response", { ...base, costUsd: "free" })).toBeNull();
  });

  test("a seq must be a non-negative integer: sorting and binary search rely on it", () => {
    for (const seq of [1.5, -1, "3", Number.NaN, null]) {
      expect(parseServerPayload("chat:delta", { sessionId, seq, requestId, text: "x" })).toBeNull();
    }
  });

  test("a session from a server before projects is in the project of its cwd", () => {
    const { project: _project, ...older } = session;
    expect(parseServerPayload("session:list", { requestId, sessions: [older] })?.sessions[0]?.project).toBe("/w");
    const imported = { ...session, project: "/p", claudeSessionId: sessionId, forkedFrom: requestId };
    expect(parseServerPayload("session:created", { ...imported, requestId }) as unknown).toEqual({
      ...imported,
      // Nor does it know of pinning and archiving: neither.
      pinned: false,
      archived: false,
      requestId,
    });
  });

  test("the inbox fields: kept when understood, an unknown outcome left out, a wrong flag refused", () => {
    const inbox = {
      ...session,
      pinned: true,
      archived: false,
      lastMessage: { from: "agent", text: "Done." },
      lastOutcome: "done",
      activity: "Running `npm test`",
    };
    expect(parseServerPayload("session:updated", { session: inbox })?.session as unknown).toEqual(inbox);
    const newer = { ...inbox, lastOutcome: "escalated", lastMessage: { from: "robot", text: "hi" } };
    expect(parseServerPayload("session:updated", { session: newer })?.session as unknown).toEqual({
      ...inbox,
      lastOutcome: undefined,
      lastMessage: { from: "agent", text: "hi" },
    });
    expect(parseServerPayload("session:updated", { session: { ...inbox, pinned: "yes" } })).toBeNull();
  });

  test("projects and Claude Code sessions: the ones this app understands", () => {
    const project = { path: "/w/a", name: "a", root: "/w", isGit: true, sessionCount: 1, claudeSessionCount: 2 };
    const reply = parseServerPayload("project:list", {
      requestId,
      projects: [project, { ...project, isGit: "yes" }, { ...project, dirty: false, branch: "main", extra: 1 }],
    });
    expect(reply?.projects).toEqual([project, { ...project, dirty: false, branch: "main" }]);
    const claude = { claudeSessionId: sessionId, summary: "s", lastModified: "2026-01-01T00:00:00.000Z", inUse: false };
    const page = parseServerPayload("project:sessions", {
      path: "/w/a",
      hasMore: false,
      requestId,
      sessions: [claude, {}],
    });
    expect(page?.sessions).toEqual([claude]);
  });

  test("a list keeps the sessions it understands", () => {
    const reply = parseServerPayload("session:list", {
      requestId,
      sessions: [session, { ...session, id: 7 }, { ...session, status: "sleeping", id: "other" }],
    });
    expect(reply?.sessions.map((s) => [s.id, s.status])).toEqual([
      [sessionId, "idle"],
      ["other", "idle"],
    ]);
  });

  test("an error with a code this app does not know is still an error, with its message", () => {
    expect(parseServerPayload("session:error", { requestId, code: "NEW_CODE", message: "why" })).toEqual({
      requestId,
      code: "INTERNAL_ERROR",
      message: "why",
    });
  });

  test("history leaves out stored events of unknown types, and chat:errors without a seq", () => {
    const page = parseServerPayload("session:history", {
      sessionId,
      requestId,
      hasMore: true,
      events: [
        { type: "chat:started", payload: { sessionId, seq: 1, requestId, at: "x" } },
        { type: "chat:reaction", payload: { sessionId, seq: 2, emoji: "+1" } },
        { type: "chat:error", payload: { sessionId, requestId, code: "CANCELLED", message: "m" } },
        "garbage",
      ],
    });
    expect(page?.events).toEqual([{ type: "chat:started", payload: { sessionId, seq: 1, requestId, at: "x" } }]);
  });

  test("why a turn waits, and a notice, pass; values from a newer server degrade instead of dropping the event", () => {
    const queued = { sessionId, seq: 2, requestId, message: "hi", at: "x" };
    expect(parseServerPayload("chat:queued", { ...queued, waitingFor: "agent" })?.waitingFor).toBe("agent");
    expect(parseServerPayload("chat:queued", { ...queued, waitingFor: "quota" })?.waitingFor).toBe("turn");
    const notice = { sessionId, seq: 3, requestId, kind: "something_new", message: "Said for people." };
    expect(parseServerPayload("chat:notice", notice)?.message).toBe("Said for people.");
    expect(parseServerPayload("session:unsubscribed", { sessionId, requestId })).toEqual({ sessionId, requestId });
  });

  test("not an object at all: dropped", () => {
    expect(parseServerPayload("connection", null)).toBeNull();
    expect(parseServerPayload("session:subscribed", [sessionId])).toBeNull();
  });
});
