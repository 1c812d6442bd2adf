import { expect, test } from "bun:test";
import { activityOf, describeToolUse } from "./activity.ts";

const assistant = (...content: unknown[]) => ({ type: "assistant", message: { content } });

test("the latest tool use of an assistant message says what the agent is doing", () => {
  expect(
    activityOf(
      assistant(
        { type: "text", text: "Let me check." },
        { type: "tool_use", name: "Read", input: { file_path: "/w/src/a.ts" } },
        { type: "tool_use", name: "Bash", input: { command: "npm test -- --watch=false\necho done" } },
      ),
    ),
  ).toBe("Running `npm test -- --watch=false`");
});

test("messages without a tool use, and other message types, say nothing", () => {
  expect(activityOf(assistant({ type: "text", text: "Done." }))).toBeNull();
  expect(activityOf({ type: "user", message: { content: [{ type: "tool_result" }] } })).toBeNull();
  expect(activityOf({ type: "assistant", message: { content: "text" } })).toBeNull();
});

test("each tool reads as a verb and its target", () => {
  expect(describeToolUse("Edit", { file_path: "/w/src/auth/login.ts" })).toBe("Editing login.ts");
  expect(describeToolUse("Write", { file_path: "notes.md" })).toBe("Writing notes.md");
  expect(describeToolUse("Grep", { pattern: "TODO" })).toBe("Searching for “TODO”");
  expect(describeToolUse("WebFetch", { url: "https://docs.example.com/a" })).toBe("Reading docs.example.com");
  expect(describeToolUse("WebFetch", { url: "not a url" })).toBe("Reading a web page");
  expect(describeToolUse("mcp__github__create_issue", {})).toBe("Using mcp__github__create_issue");
  expect(describeToolUse("Bash", {})).toBe("Running a command");
});

test("a long command is cut", () => {
  const text = describeToolUse("Bash", { command: "x".repeat(500) });
  expect(text.length).toBeLessThan(70);
  expect(text).toContain("…");
});
