import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { SessionEvent } from "../../shared/messages.ts";
import type { StreamedText } from "./streamedText.ts";
import {
  appendToTurns,
  deriveTurns,
  hasSeq,
  mergeEvents,
  type PendingSend,
  pendingPermissions,
  replyText,
  runningTurn,
} from "./turns.ts";

const sessionId = crypto.randomUUID();
const a = crypto.randomUUID();
const b = crypto.randomUUID();
const at = "2026-01-01T00:00:00.000Z";

const queued = (seq: number, requestId: string, message: string): SessionEvent => ({
  type: "chat:queued",
  payload: { sessionId, seq, requestId, message, at },
});
const started = (seq: number, requestId: string): SessionEvent => ({
  type: "chat:started",
  payload: { sessionId, seq, requestId, at },
});
const delta = (seq: number, requestId: string, text: string): SessionEvent => ({
  type: "chat:delta",
  payload: { sessionId, seq, requestId, text },
});
const log = (seq: number, requestId: string, data: string): SessionEvent => ({
  type: "log",
  payload: { sessionId, seq, requestId, data },
});

describe("mergeEvents", () => {
  test("keeps events sorted and unique by seq; returns the same array when nothing is new", () => {
    const first = mergeEvents([], [queued(1, a, "x"), started(2, a)]);
    expect(first.map((e) => e.payload.seq)).toEqual([1, 2]);
    expect(mergeEvents(first, [started(2, a), queued(1, a, "x")])).toBe(first);
    const merged = mergeEvents(first, [delta(5, a, "e"), delta(3, a, "c"), delta(4, a, "d"), delta(3, a, "c")]);
    expect(merged.map((e) => e.payload.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(hasSeq(merged, 4)).toBe(true);
    expect(hasSeq(merged, 6)).toBe(false);
  });
});

describe("deriveTurns", () => {
  test("groups by requestId with statuses, text and logs", () => {
    const events = [
      queued(1, a, "first"),
      started(2, a),
      log(3, a, "{}"),
      delta(4, a, "Hel"),
      queued(5, b, "second"),
      delta(6, a, "lo"),
    ];
    const turns = deriveTurns(events);
    expect(turns.map((t) => [t.message, t.status, t.text, t.logs.length])).toEqual([
      ["first", "running", "Hello", 1],
      ["second", "queued", "", 0],
    ]);
    expect(runningTurn(turns)?.requestId).toBe(a);

    const done = deriveTurns([
      ...events,
      {
        type: "chat:response",
        payload: {
          sessionId,
          seq: 7,
          requestId: a,
          response: "Hello!",
          logs: ["{}", "{}"],
          durationMs: 5,
          costUsd: 0.1,
        },
      },
      { type: "chat:error", payload: { sessionId, seq: 8, requestId: b, code: "CANCELLED", message: "stopped" } },
    ]);
    expect(done[0]).toMatchObject({ status: "done", text: "Hello!", durationMs: 5, costUsd: 0.1 });
    expect(done[0]?.logs).toHaveLength(2);
    expect(done[1]).toMatchObject({ status: "error", error: { code: "CANCELLED" } });
    expect(runningTurn(done)).toBeUndefined();
  });

  test("permission requests are listed on their turn and follow their resolution", () => {
    const permissionId = crypto.randomUUID();
    const turns = deriveTurns([
      queued(1, a, "go"),
      started(2, a),
      {
        type: "permission:request",
        payload: {
          sessionId,
          seq: 3,
          requestId: a,
          permissionId,
          toolName: "Write",
          input: { file_path: "/x" },
          toolUseId: "toolu_1",
          suggestions: [],
        },
      },
    ]);
    expect(turns[0]?.permissions).toEqual([
      {
        permissionId,
        toolName: "Write",
        input: { file_path: "/x" },
        toolUseId: "toolu_1",
        title: null,
        description: null,
        decisionReason: null,
        blockedPath: null,
        rule: null,
        status: "pending",
        resolutionMessage: null,
        answers: null,
        seq: 3,
      },
    ]);
    expect(pendingPermissions(turns).map((p) => p.permissionId)).toEqual([permissionId]);
    const resolved = deriveTurns([
      queued(1, a, "go"),
      {
        type: "permission:request",
        payload: { sessionId, seq: 3, requestId: a, permissionId, toolName: "Write", input: {}, suggestions: [] },
      },
      { type: "permission:resolved", payload: { sessionId, seq: 4, requestId: a, permissionId, decision: "allow" } },
    ]);
    expect(resolved[0]?.permissions[0]?.status).toBe("allow");
    expect(resolved[0]?.permissions[0]?.answers).toBeNull();
    expect(pendingPermissions(resolved)).toEqual([]);
    const answered = deriveTurns([
      queued(1, a, "go"),
      {
        type: "permission:request",
        payload: {
          sessionId,
          seq: 3,
          requestId: a,
          permissionId,
          toolName: "AskUserQuestion",
          input: {},
          suggestions: [],
        },
      },
      {
        type: "permission:resolved",
        payload: { sessionId, seq: 4, requestId: a, permissionId, decision: "allow", answers: { "Which?": "SQLite" } },
      },
    ]);
    expect(answered[0]?.permissions[0]?.answers).toEqual({ "Which?": "SQLite" });
  });

  test("a request keeps the CLI's details; a denial keeps its reason; a pending one on an ended turn is not pending", () => {
    const permissionId = crypto.randomUUID();
    const request: SessionEvent = {
      type: "permission:request",
      payload: {
        sessionId,
        seq: 2,
        requestId: a,
        permissionId,
        toolName: "Bash",
        input: { command: "rm -rf build" },
        title: "Claude wants to run rm -rf build",
        description: "Remove the build folder",
        decisionReason: "rm is not allowed by default",
        blockedPath: "/work/build",
        suggestions: [{ type: "addRules", behavior: "allow", rules: [{ toolName: "Bash", ruleContent: "rm:*" }] }],
      },
    };
    const [turn] = deriveTurns([queued(1, a, "clean"), request]);
    expect(turn?.status).toBe("running");
    expect(turn?.permissions[0]).toMatchObject({
      title: "Claude wants to run rm -rf build",
      description: "Remove the build folder",
      decisionReason: "rm is not allowed by default",
      blockedPath: "/work/build",
      rule: null,
    });
    const denied = deriveTurns([
      queued(1, a, "clean"),
      request,
      {
        type: "permission:resolved",
        payload: { sessionId, seq: 3, requestId: a, permissionId, decision: "deny", message: "not now" },
      },
    ]);
    expect(denied[0]?.permissions[0]).toMatchObject({ status: "deny", resolutionMessage: "not now" });
    const rule = {
      id: crypto.randomUUID(),
      toolName: "Bash",
      kind: "prefix" as const,
      content: "rm",
      createdAt: "2026-12-03T10:00:00.000Z",
    };
    const always = deriveTurns([
      queued(1, a, "clean"),
      request,
      {
        type: "permission:resolved",
        payload: { sessionId, seq: 3, requestId: a, permissionId, decision: "allow_always", rule },
      },
    ]);
    expect(always[0]?.permissions[0]).toMatchObject({ status: "allow_always", rule });
    const ended = deriveTurns([
      queued(1, a, "clean"),
      request,
      { type: "chat:error", payload: { sessionId, seq: 3, requestId: a, code: "AGENT_CRASHED", message: "x" } },
    ]);
    expect(pendingPermissions(ended)).toEqual([]);
  });

  test("a turn whose chat:queued is not loaded has no message", () => {
    expect(deriveTurns([delta(10, a, "x")])[0]).toMatchObject({ message: null, status: "running", firstSeq: 10 });
  });

  test("local sends come last; once the server has them, the server's version wins", () => {
    const pending = [
      { requestId: a, sessionId, message: "first", at, error: null },
      { requestId: b, sessionId, message: "second", at, error: { code: "TIMEOUT" as const, message: "slow" } },
    ];
    expect(deriveTurns([], pending).map((t) => [t.status, t.local])).toEqual([
      ["sending", true],
      ["error", true],
    ]);
    const turns = deriveTurns([queued(1, a, "first")], pending);
    expect(turns.map((t) => [t.message, t.status, t.local])).toEqual([
      ["first", "queued", false],
      ["second", "error", true],
    ]);
  });
});

describe("appendToTurns", () => {
  const ids = [a, b, crypto.randomUUID()];
  const permissionId = crypto.randomUUID();
  /** A random session's event stream: any event kind, for any of three turns, in seq order. */
  const stream = fc
    .array(
      fc.record({
        kind: fc.constantFrom("queued", "started", "delta", "log", "response", "error", "request", "resolved"),
        turn: fc.integer({ min: 0, max: 2 }),
        text: fc.string({ maxLength: 3 }),
      }),
      { maxLength: 30 },
    )
    .map((specs) =>
      specs.map(({ kind, turn, text }, index): SessionEvent => {
        const seq = index + 1;
        const requestId = ids[turn] ?? a;
        switch (kind) {
          case "queued":
            return queued(seq, requestId, text);
          case "started":
            return started(seq, requestId);
          case "delta":
            return delta(seq, requestId, text);
          case "log":
            return log(seq, requestId, text);
          case "response":
            return {
              type: "chat:response",
              payload: { sessionId, seq, requestId, response: text, logs: [text], durationMs: 1 },
            };
          case "error":
            return { type: "chat:error", payload: { sessionId, seq, requestId, code: "CANCELLED", message: text } };
          case "request":
            return {
              type: "permission:request",
              payload: { sessionId, seq, requestId, permissionId, toolName: "Bash", input: {}, suggestions: [] },
            };
          default:
            return {
              type: "permission:resolved",
              payload: { sessionId, seq, requestId, permissionId, decision: "allow" },
            };
        }
      }),
    );
  const pending: PendingSend[] = [
    { requestId: ids[2] ?? a, sessionId, message: "local", at, error: null },
    { requestId: crypto.randomUUID(), sessionId, message: "only here", at, error: null },
  ];

  test("appending in any batches gives the turns deriving everything at once gives", () => {
    fc.assert(
      fc.property(stream, fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1 }), (events, batches) => {
        let turns = deriveTurns([], pending);
        for (let from = 0, b = 0; from < events.length; b++) {
          const to = Math.min(events.length, from + (batches[b % batches.length] ?? 1));
          turns = appendToTurns(turns, events.slice(from, to), pending);
          from = to;
        }
        expect(turns).toEqual(deriveTurns(events, pending));
        // What the renderer reads while a reply streams is the text, delta for delta.
        for (const turn of turns) if (turn.streamed) expect(String(turn.streamed)).toBe(turn.text);
      }),
      { numRuns: 300 },
    );
  });

  test("a delta changes only its own turn; the others, and its logs, stay the same objects", () => {
    const before = deriveTurns([queued(1, a, "one"), log(2, a, "{}"), queued(3, b, "two"), log(4, b, "{}")], pending);
    const after = appendToTurns(before, [delta(5, b, "hi")], pending);
    expect(after[0]).toBe(before[0] as NonNullable<(typeof before)[0]>);
    expect(after[1]).not.toBe(before[1] as NonNullable<(typeof before)[1]>);
    expect(after[1]?.text).toBe("hi");
    expect(after[1]?.logs).toBe(before[1]?.logs as string[]);
    expect(after.at(-1)).toBe(before.at(-1) as NonNullable<(typeof before)[0]>); // the local send
  });

  test("a delta's streamed text grows from the one before, so the renderer reads only the delta", () => {
    const first = appendToTurns(deriveTurns([queued(1, a, "one"), delta(2, a, "Hello")]), [delta(3, a, ", world")]);
    const second = appendToTurns(first, [delta(4, a, "!")]);
    const before = first[0]?.streamed;
    const after = second[0]?.streamed;
    expect(before && after?.since(before)).toBe("!");
    expect(String(after)).toBe("Hello, world!");
    const answered = appendToTurns(second, [
      {
        type: "chat:response",
        payload: { sessionId, seq: 5, requestId: a, response: "Hello, world!", logs: [], durationMs: 1 },
      },
    ]);
    expect(answered[0]).toMatchObject({ text: "Hello, world!", streamed: null, status: "done" });
  });

  test("the renderer gets the streamed deltas while the turn runs, and the text once it is over", () => {
    const running = appendToTurns(deriveTurns([queued(1, a, "one"), started(2, a)]), [delta(3, a, "| a | b |")]);
    expect(running[0] && replyText(running[0])).toBe(running[0]?.streamed as StreamedText);
    const stopped = appendToTurns(running, [
      { type: "chat:error", payload: { sessionId, seq: 4, requestId: a, code: "CANCELLED", message: "Stopped" } },
    ]);
    // A reply cut off by Stop is over: shown as written, its last line too (not held as if still streaming).
    expect(stopped[0] && replyText(stopped[0])).toBe("| a | b |");
  });
});

describe("a turn's changes, usage and limit", () => {
  const files = [
    { path: "a.ts", status: "modified" as const, additions: 2, deletions: 1, diff: "@@ -1 +1 @@\n-x\n+y\n" },
  ];
  const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheCreationTokens: 0 };
  const events: SessionEvent[] = [
    queued(1, a, "edit"),
    started(2, a),
    { type: "turn:changes", payload: { sessionId, seq: 3, requestId: a, files } },
    {
      type: "chat:response",
      payload: { sessionId, seq: 4, requestId: a, response: "ok", logs: [], durationMs: 1200, costUsd: 0.01, usage },
    },
    queued(5, b, "more"),
    started(6, b),
    {
      type: "chat:error",
      payload: {
        sessionId,
        seq: 7,
        requestId: b,
        code: "API_USAGE_LIMIT",
        message: "limit",
        resetsAt: "2026-12-03T16:28:55.000Z",
      },
    },
  ];

  test("deriveTurns and appendToTurns carry them the same way", () => {
    const derived = deriveTurns(events);
    expect(derived[0]).toMatchObject({ changes: files, usage, costUsd: 0.01, durationMs: 1200 });
    expect(derived[1]?.changes).toBeNull();
    expect(derived[1]?.error).toEqual({
      code: "API_USAGE_LIMIT",
      message: "limit",
      resetsAt: "2026-12-03T16:28:55.000Z",
    });
    const appended = appendToTurns(deriveTurns(events.slice(0, 2)), events.slice(2));
    expect(appended).toEqual(derived);
  });
});
