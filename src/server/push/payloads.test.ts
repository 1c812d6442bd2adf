import { describe, expect, test } from "bun:test";
import type { SessionEvent } from "../../shared/messages.ts";
import { buildNotification, notableOf, preview, REPLY_PREVIEW_CHARS, summarize, topicFor } from "./payloads.ts";

const sessionId = "3f1d2c3b-1111-4222-8333-444455556666";
const requestId = "9a1d2c3b-1111-4222-8333-444455556666";
const permissionId = "7b1d2c3b-1111-4222-8333-444455556666";
const base = { sessionId, seq: 5, requestId };
const to = { sessionId, sessionTitle: "Fix the tests", badge: 2 };

describe("which events notify", () => {
  test("deltas, logs, queued and started turns, and resolved permissions never do", () => {
    const quiet: SessionEvent[] = [
      { type: "chat:delta", payload: { ...base, text: "x" } },
      { type: "log", payload: { ...base, data: "{}" } },
      { type: "chat:queued", payload: { ...base, message: "m", at: new Date().toISOString() } },
      { type: "chat:started", payload: { ...base, at: new Date().toISOString() } },
      { type: "permission:resolved", payload: { ...base, permissionId, decision: "allow" } },
    ];
    for (const event of quiet) expect(notableOf(event)).toBeNull();
  });

  test("a turn the user stopped is not news; any other failure is", () => {
    const error = (code: "CANCELLED" | "API_ERROR") =>
      notableOf({ type: "chat:error", payload: { ...base, code, message: "m" } });
    expect(error("CANCELLED")).toBeNull();
    expect(error("API_ERROR")).toEqual({ kind: "error", code: "API_ERROR", message: "m" });
  });

  test("AskUserQuestion is a question, other tools a permission", () => {
    const ask = (toolName: string, input: Record<string, unknown>) =>
      notableOf({ type: "permission:request", payload: { ...base, permissionId, toolName, input, suggestions: [] } });
    expect(ask("AskUserQuestion", { questions: [{ question: "Which DB?", options: [] }] })).toEqual({
      kind: "question",
      permissionId,
      question: "Which DB?",
    });
    expect(ask("Bash", { command: "npm test" })).toMatchObject({
      kind: "permission",
      toolName: "Bash",
      summary: "npm test",
    });
  });
});

describe("payloads", () => {
  test("a permission: actions, token, url to the card, tag per session", () => {
    const payload = buildNotification(
      { kind: "permission", permissionId, toolName: "Bash", summary: "npm test", ask: "" },
      to,
      "token-1",
    );
    expect(payload).toEqual({
      type: "permission",
      sessionId,
      title: "Approve Bash? · Fix the tests",
      body: "npm test",
      url: `/?session=${sessionId}&permission=${permissionId}`,
      tag: `session-${sessionId}`,
      badge: 2,
      permissionId,
      toolName: "Bash",
      summary: "npm test",
      actions: [
        { action: "allow", title: "Allow" },
        { action: "deny", title: "Deny" },
      ],
      actionToken: "token-1",
    });
  });

  test("done carries the first 140 characters of the reply, on one line", () => {
    const reply = `All ${"tests ".repeat(40)}\n\npassed`;
    const payload = buildNotification({ kind: "done", reply }, to);
    expect(payload.body.startsWith(reply.replace(/\s+/g, " ").slice(0, REPLY_PREVIEW_CHARS))).toBe(true);
    expect(payload.body).toHaveLength(REPLY_PREVIEW_CHARS + 1);
    expect(preview("short\nreply")).toBe("short reply");
  });

  test("summaries: the command, the path, else the input; long ones cut", () => {
    expect(summarize("Edit", { file_path: "/src/a.ts", old_string: "x" })).toBe("/src/a.ts");
    expect(summarize("Mystery", { a: 1 })).toBe('{"a":1}');
    expect(summarize("Bash", { command: "x".repeat(500) })).toHaveLength(120);
  });

  test("the Topic is a session's id in 32 base64url characters", () => {
    expect(topicFor(sessionId)).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});
