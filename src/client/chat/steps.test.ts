import { describe, expect, test } from "bun:test";
import {
  exitCodeOf,
  refusedSet,
  refusedToolUses,
  stepDuration,
  stepsOf,
  stepVerbs,
  summarizeSteps,
  turnParts,
} from "./steps.ts";

const assistant = (...content: unknown[]) => JSON.stringify({ type: "assistant", message: { content } });
const results = (...content: unknown[]) => JSON.stringify({ type: "user", message: { content } });
const toolUse = (id: string, name: string, input: unknown) => ({ type: "tool_use", id, name, input });
const toolResult = (id: string, content: unknown, isError = false) => ({
  type: "tool_result",
  tool_use_id: id,
  content,
  is_error: isError,
});

describe("turnParts", () => {
  test("text and tool calls in order, each call with what came back; the final answer left out", () => {
    const logs = [
      JSON.stringify({ type: "system", subtype: "init", tools: [] }),
      assistant({ type: "text", text: "Let me look." }, toolUse("t1", "Bash", { command: "npm test" })),
      results(toolResult("t1", "Exit code 1\n2 failed", true)),
      assistant(toolUse("t2", "Read", { file_path: "/work/app/src/a.ts", offset: 10, limit: 5 })),
      results(toolResult("t2", [{ type: "text", text: "line 10\nline 11" }])),
      assistant({ type: "text", text: "Two tests fail." }),
      JSON.stringify({ type: "result", subtype: "success" }),
    ];
    const parts = turnParts(logs, { cwd: "/work/app" });
    expect(
      parts.map((part) => (part.kind === "text" ? part.text : `${part.step.verbs.done} ${part.step.target}`)),
    ).toEqual(["Let me look.", "Ran npm test", "Read src/a.ts (lines 10–14)"]);
    const [bash, read] = stepsOf(parts);
    expect(bash).toMatchObject({ tool: "Bash", status: "error", output: "Exit code 1\n2 failed" });
    expect(read).toMatchObject({ tool: "Read", status: "ok", output: "line 10\nline 11" });
  });

  test("a step lasts from its tool_use's timestamp to its tool_result's; without times it has no duration", () => {
    const at = (iso: string, json: string) => JSON.stringify({ ...JSON.parse(json), timestamp: iso });
    const logs = [
      at("2026-12-03T10:00:00.000Z", assistant(toolUse("t1", "Bash", { command: "npm test" }))),
      at("2026-12-03T10:00:12.500Z", results(toolResult("t1", "ok"))),
      assistant(toolUse("t2", "Read", { file_path: "/a" })),
      results(toolResult("t2", "x")),
      at("2026-12-03T10:00:20.000Z", assistant(toolUse("t3", "Grep", { pattern: "x" }))),
    ];
    const [bash, read, grep] = stepsOf(turnParts(logs));
    expect(bash && stepDuration(bash)).toBe(12_500);
    expect(read && stepDuration(read)).toBeNull();
    expect(grep).toMatchObject({ status: "running", startedAt: Date.parse("2026-12-03T10:00:20.000Z"), endedAt: null });
    expect(grep && stepDuration(grep)).toBeNull();
  });

  test("a call with no result yet is running; logs that are not JSON or not messages are skipped", () => {
    const parts = turnParts(["not json", "{}", assistant(toolUse("t1", "Grep", { pattern: "TODO" }))]);
    expect(stepsOf(parts)).toMatchObject([
      { verbs: { done: "Searched" }, target: '"TODO"', status: "running", output: null },
    ]);
  });
});

describe("summarizeSteps", () => {
  test("edits count files, not calls; commands, reads and searches are counted", () => {
    const logs = [
      assistant(
        toolUse("a", "Edit", { file_path: "/p/a.ts", old_string: "1", new_string: "2" }),
        toolUse("b", "Edit", { file_path: "/p/a.ts", old_string: "3", new_string: "4" }),
        toolUse("c", "Write", { file_path: "/p/b.ts", content: "x" }),
        toolUse("d", "Bash", { command: "ls" }),
        toolUse("e", "Bash", { command: "npm test" }),
        toolUse("f", "Read", { file_path: "/p/c.ts" }),
        toolUse("g", "Glob", { pattern: "*.ts" }),
        toolUse("h", "WebFetch", { url: "https://example.com" }),
      ),
      results(..."abcdefgh".split("").map((id) => toolResult(id, "ok"))),
    ];
    expect(summarizeSteps(stepsOf(turnParts(logs)))).toBe(
      "Edited 2 files · ran 2 commands · read 1 file · searched 1 time · 1 other step",
    );
  });
});

test("exitCodeOf reads the CLI's 'Exit code N' line", () => {
  expect(exitCodeOf("Exit code 127\ncommand not found")).toBe(127);
  expect(exitCodeOf("all good")).toBeNull();
  expect(exitCodeOf(null)).toBeNull();
});

describe("stepVerbs", () => {
  test("a known tool reads right at every moment: done, under way, waiting for approval, never finished", () => {
    expect(stepVerbs("Bash")).toEqual({
      done: "Ran",
      doing: "Running",
      asking: "Wants to run",
      unfinished: "Tried to run",
    });
    expect(stepVerbs("Find files")).toEqual({
      done: "Found files",
      doing: "Finding files",
      asking: "Wants to find files",
      unfinished: "Tried to find files",
    });
  });

  test("another tool (an MCP tool, a sub-agent) is named the same at every moment", () => {
    const named = "github: create_issue";
    expect(stepVerbs(named)).toEqual({ done: named, doing: named, asking: named, unfinished: named });
  });

  test("a step carries its verbs, done being the one it has once finished", () => {
    const [step] = stepsOf(turnParts([assistant(toolUse("t1", "Edit", { file_path: "/a.ts" }))]));
    expect(step).toMatchObject({ verbs: { ...stepVerbs("Edit"), done: "Edited" }, status: "running" });
  });
});

describe("refused tool calls", () => {
  const denied = { toolUseId: "t2", status: "deny" as const };
  const logs = [
    assistant(toolUse("t1", "Bash", { command: "ls" })),
    results(toolResult("t1", "a.txt")),
    assistant(toolUse("t2", "Bash", { command: "rm -rf build" })),
    results(toolResult("t2", "The user doesn't want to proceed with this tool use.", true)),
  ];

  test("the ids of the calls denied or cancelled, not of those allowed or still waiting", () => {
    expect(
      refusedToolUses([
        { toolUseId: "t1", status: "allow" },
        denied,
        { toolUseId: "t3", status: "cancelled" },
        { toolUseId: "t4", status: "pending" },
        { toolUseId: null, status: "deny" },
      ]),
    ).toBe("t2 t3");
  });

  test("a denied call is refused, not an error, and the summary says it did not run", () => {
    const steps = stepsOf(turnParts(logs, { refused: refusedSet(refusedToolUses([denied])) }));
    expect(refusedSet("")).toEqual(new Set());
    expect(steps.map((step) => step.status)).toEqual(["ok", "refused"]);
    expect(summarizeSteps(steps)).toBe("Ran 1 command · 1 step not run");
    // A call whose result never came back (the turn stopped) is counted apart too.
    const cut = stepsOf(turnParts([...logs, assistant(toolUse("t3", "Read", { file_path: "/a" }))]));
    expect(summarizeSteps(cut)).toBe("Ran 2 commands · 1 step not finished");
    // Without the permissions (an older event), the CLI's failed result is all there is.
    expect(stepsOf(turnParts(logs)).map((step) => step.status)).toEqual(["ok", "error"]);
  });
});
