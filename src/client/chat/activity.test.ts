import { describe, expect, test } from "bun:test";
import { oneLine, shortPath, summarizeLog, summarizeTool } from "./activity.ts";

const cwd = "/home/me/project";

function toolResult(id: string, content: unknown, isError = false): string {
  return JSON.stringify({
    type: "user",
    message: { role: "user", content: [{ type: "tool_result", tool_use_id: id, content, is_error: isError }] },
  });
}

describe("summarizeTool", () => {
  test.each([
    ["Bash", { command: "ls -la", description: "List files" }, "Bash", "ls -la"],
    ["Bash", { command: "cd src &&\n  npm test\nexit 0" }, "Bash", "cd src && …"],
    ["Read", { file_path: `${cwd}/src/app.ts` }, "Read", "src/app.ts"],
    ["Read", { file_path: "/etc/hosts", offset: 10, limit: 20 }, "Read", "/etc/hosts (lines 10–29)"],
    ["Write", { file_path: `${cwd}/README.md`, content: "# hi" }, "Write", "README.md"],
    ["Edit", { file_path: `${cwd}/a.ts`, old_string: "a", new_string: "b" }, "Edit", "a.ts"],
    ["MultiEdit", { file_path: `${cwd}/a.ts`, edits: [{}, {}, {}] }, "Edit", "a.ts (3 edits)"],
    ["Glob", { pattern: "**/*.ts", path: `${cwd}/src` }, "Find files", "**/*.ts in src"],
    ["Grep", { pattern: "TODO", glob: "*.md" }, "Search", '"TODO" in *.md'],
    ["WebFetch", { url: "https://example.com/a", prompt: "summarise" }, "Fetch", "https://example.com/a"],
    ["WebSearch", { query: "bun html imports" }, "Web search", "bun html imports"],
    [
      "Task",
      { description: "Find the bug", prompt: "…", subagent_type: "general-purpose" },
      "Agent",
      "Find the bug (general-purpose)",
    ],
    ["NotebookEdit", { notebook_path: `${cwd}/n.ipynb` }, "Edit notebook", "n.ipynb"],
    ["mcp__github__create_issue", { title: "Crash on start" }, "github: create_issue", "Crash on start"],
    ["SomethingNew", { flag: true }, "SomethingNew", '{"flag":true}'],
  ])("%s %j", (name, input, label, detail) => {
    expect(summarizeTool(name, input, { cwd })).toMatchObject({ kind: "tool", label, detail });
  });

  test("TodoWrite shows progress and the current task", () => {
    const item = summarizeTool("TodoWrite", {
      todos: [
        { content: "a", status: "completed", activeForm: "Doing a" },
        { content: "b", status: "in_progress", activeForm: "Doing b" },
        { content: "c", status: "pending", activeForm: "Doing c" },
      ],
    });
    expect(item.detail).toBe("1/3 done · Doing b");
  });

  test("long commands are cut to one line", () => {
    const item = summarizeTool("Bash", { command: `echo ${"x".repeat(500)}` }, { maxLength: 40 });
    expect(item.detail.length).toBeLessThanOrEqual(40);
    expect(item.detail.endsWith("…")).toBe(true);
  });

  test("missing or odd input does not throw", () => {
    expect(summarizeTool("Read", null).detail).toBe("file");
    expect(summarizeTool("Bash", "oops").detail).toBe("command");
    expect(summarizeTool("Unknown", undefined).detail).toBe("");
  });
});

describe("summarizeLog", () => {
  test("an assistant message with text and a tool call", () => {
    const data = JSON.stringify({
      type: "assistant",
      message: {
        content: [
          { type: "text", text: "Let me look.\nMore text" },
          { type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } },
        ],
      },
    });
    expect(summarizeLog(data)).toEqual([
      { kind: "text", label: "Reply", detail: "Let me look. …" },
      { kind: "tool", label: "Bash", detail: "ls", toolUseId: "t1" },
    ]);
  });

  test("tool results, errors included", () => {
    expect(summarizeLog(toolResult("t1", "a.txt\nb.txt"))).toEqual([
      { kind: "result", label: "Result", detail: "a.txt …", isError: false, toolUseId: "t1" },
    ]);
    expect(summarizeLog(toolResult("t2", [{ type: "text", text: "command not found" }], true))[0]).toMatchObject({
      isError: true,
      detail: "command not found",
    });
  });

  test("system init, retries and the final result", () => {
    const init = JSON.stringify({
      type: "system",
      subtype: "init",
      model: "claude-sonnet-4-5",
      tools: ["Bash", "Read"],
    });
    expect(summarizeLog(init)[0]?.detail).toBe("started · claude-sonnet-4-5 · 2 tools");
    const retry = JSON.stringify({ type: "system", subtype: "api_retry", attempt: 2 });
    expect(summarizeLog(retry)[0]?.detail).toBe("retrying (attempt 2)");
    const result = JSON.stringify({
      type: "result",
      subtype: "success",
      is_error: false,
      duration_ms: 3456,
      num_turns: 3,
      total_cost_usd: 0.0123,
    });
    expect(summarizeLog(result)[0]).toMatchObject({ kind: "done", detail: "finished · 3.5 s · 3 steps · $0.0123" });
    const failed = JSON.stringify({ type: "result", subtype: "error_max_turns", is_error: true });
    expect(summarizeLog(failed)[0]).toMatchObject({ isError: true, detail: "stopped (error_max_turns)" });
  });

  test("partial stream events, unknown types and broken JSON give nothing", () => {
    expect(summarizeLog(JSON.stringify({ type: "stream_event", event: {} }))).toEqual([]);
    expect(summarizeLog(JSON.stringify({ type: "mystery" }))).toEqual([]);
    expect(summarizeLog("{not json")).toEqual([]);
    expect(summarizeLog("42")).toEqual([]);
  });
});

describe("helpers", () => {
  test("oneLine and shortPath", () => {
    expect(oneLine("  a \n\t b  ")).toBe("a b");
    expect(oneLine("abcdef", 4)).toBe("abc…");
    expect(shortPath("/p/x/y", "/p/x")).toBe("y");
    expect(shortPath("/p/x", "/p/x")).toBe(".");
    expect(shortPath("/other/y", "/p/x")).toBe("/other/y");
  });
});
