import { describe, expect, test } from "bun:test";
import { promptOf, type TranscriptMessage, turnsFromTranscript } from "./history.ts";

/** Messages shaped as the Agent SDK's getSessionMessages() returns them (read from the real CLI's transcripts). */
let n = 0;
const at = (second: number) => `2026-12-03T12:00:${String(second).padStart(2, "0")}.000Z`;
const base = (type: TranscriptMessage["type"], second: number) => ({
  type,
  uuid: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
  session_id: "3f155884-0235-4441-b714-dadc26d74aa6",
  parent_tool_use_id: null,
  parent_agent_id: null,
  timestamp: at(second),
});
const user = (content: unknown, second: number): TranscriptMessage => ({
  ...base("user", second),
  message: { role: "user", content },
});
const assistant = (content: unknown[], second: number): TranscriptMessage => ({
  ...base("assistant", second),
  message: { role: "assistant", type: "message", content, stop_reason: "end_turn" },
});
const text = (t: string) => ({ type: "text", text: t });

describe("turnsFromTranscript", () => {
  test("a prompt and its answer make a turn; the answer's message is its log", () => {
    const reply = assistant([text("Echo: remember the word quince")], 1);
    const turns = turnsFromTranscript([user("remember the word quince", 0), reply]);
    expect(turns).toEqual([
      {
        message: "remember the word quince",
        at: at(0),
        logs: [JSON.stringify(reply)],
        response: "Echo: remember the word quince",
        durationMs: 1000,
      },
    ]);
  });

  test("tool steps stay in their turn's logs; the response is the last text the assistant wrote", () => {
    const messages = [
      user([text("run the tests")], 0),
      assistant(
        [text("Running them."), { type: "tool_use", id: "t1", name: "Bash", input: { command: "npm test" } }],
        1,
      ),
      user([{ type: "tool_result", tool_use_id: "t1", content: "41 passed" }], 4),
      assistant([text("All 41 pass.")], 5),
      user("thanks", 9),
      assistant([text("You're welcome.")], 10),
    ];
    const turns = turnsFromTranscript(messages);
    expect(turns.map((t) => [t.message, t.response, t.logs.length, t.durationMs])).toEqual([
      ["run the tests", "All 41 pass.", 3, 5000],
      ["thanks", "You're welcome.", 1, 1000],
    ]);
    expect(JSON.parse(turns[0]?.logs[1] ?? "{}").message.content[0].type).toBe("tool_result");
  });

  test("an interrupted turn keeps its prompt, with no response; the interruption note is a log", () => {
    const turns = turnsFromTranscript([
      user("write an essay", 0),
      user([text("[Request interrupted by user]")], 2),
      user("shorter please", 3),
      assistant([text("OK.")], 4),
    ]);
    expect(turns.map((t) => [t.message, t.response, t.logs.length])).toEqual([
      ["write an essay", "", 1],
      ["shorter please", "OK.", 1],
    ]);
  });

  test("a slash command shows as typed; its output is a log; system messages are left out", () => {
    const turns = turnsFromTranscript([
      user("<command-name>/review</command-name>\n<command-args>src/app.ts</command-args>", 0),
      user("<local-command-stdout>done</local-command-stdout>", 1),
      { ...base("system", 2), message: { subtype: "compact_boundary" } },
    ]);
    expect(turns.map((t) => [t.message, t.logs.length])).toEqual([["/review src/app.ts", 1]]);
  });

  test("messages before any prompt are kept in a turn of their own; a missing time is the import's", () => {
    const now = new Date("2026-12-03T13:00:00.000Z");
    const orphan = { ...assistant([text("Summary of earlier work.")], 0), timestamp: undefined };
    const turns = turnsFromTranscript([orphan], now);
    expect(turns).toEqual([
      {
        message: "(earlier conversation)",
        at: now.toISOString(),
        logs: [JSON.stringify(orphan)],
        response: "Summary of earlier work.",
        durationMs: 0,
      },
    ]);
  });

  test("subagent messages are logs of the turn, never prompts or its response", () => {
    const sub = { ...user("look in src/", 1), parent_tool_use_id: "task-1" };
    const subReply = { ...assistant([text("found 3 files")], 2), parent_tool_use_id: "task-1" };
    const turns = turnsFromTranscript([user("explore", 0), sub, subReply, assistant([text("Done exploring.")], 3)]);
    expect(turns.map((t) => [t.message, t.response, t.logs.length])).toEqual([["explore", "Done exploring.", 3]]);
  });
});

describe("promptOf", () => {
  test("text and images the person sent; not tool results", () => {
    expect(promptOf(user([text("what is this"), { type: "image", source: {} }], 0))).toBe("what is this\n[image]");
    expect(promptOf(user([{ type: "tool_result", tool_use_id: "x", content: "ok" }], 0))).toBeNull();
    expect(promptOf(assistant([text("hi")], 0))).toBeNull();
    expect(promptOf(user("   ", 0))).toBeNull();
  });
});
