import { describe, expect, test } from "bun:test";
import {
  describeRule,
  isSimpleCommand,
  proposedPrefix,
  resolvePath,
  ruleAllows,
  ruleFor,
  scopeOptions,
} from "./allowRules.ts";

const CWD = "/home/me/shop";

describe("paths", () => {
  test("resolve . and .. against the session's folder; climbing above / is refused", () => {
    expect(resolvePath(CWD, "src/./a/../b.ts")).toBe("/home/me/shop/src/b.ts");
    expect(resolvePath(CWD, "/etc//passwd")).toBe("/etc/passwd");
    expect(resolvePath("/", "../x")).toBeNull();
  });
});

describe("what a card offers", () => {
  test("a command: only it, its program and subcommand as a prefix, or any command", () => {
    expect(scopeOptions("Bash", { command: "npm test -- --watch" }, CWD)).toEqual([
      { scope: { kind: "command" }, label: "Only `npm test -- --watch`" },
      { scope: { kind: "prefix", prefix: "npm test" }, label: "Commands starting with `npm test`" },
      { scope: { kind: "tool" }, label: "Any command" },
    ]);
  });

  test("no prefix when it would be the whole command, or when the command chains another", () => {
    expect(proposedPrefix("ls")).toBeNull();
    expect(proposedPrefix("git status")).toBeNull();
    expect(proposedPrefix("touch a.txt")).toBe("touch");
    expect(proposedPrefix("git push --force")).toBe("git push");
    expect(proposedPrefix("touch a && rm -rf b")).toBeNull();
    expect(scopeOptions("Bash", { command: "ls" }, CWD).map((o) => o.scope.kind)).toEqual(["command", "tool"]);
  });

  test("an edit: its folder, the session's folder, or any edit", () => {
    expect(scopeOptions("Write", { file_path: "src/api/orders.ts" }, CWD)).toEqual([
      { scope: { kind: "folder", path: "/home/me/shop/src/api" }, label: "Edits in `src/api`" },
      { scope: { kind: "folder", path: CWD }, label: "Edits in this session's folder" },
      { scope: { kind: "tool" }, label: "Any file edit" },
    ]);
    expect(scopeOptions("Edit", { file_path: "/home/me/shop/README.md" }, CWD).map((o) => o.label)).toEqual([
      "Edits in this session's folder",
      "Any file edit",
    ]);
  });

  test("a read: its folder, or reading any file; a read rule allows no edit", () => {
    expect(scopeOptions("Read", { file_path: "/tmp/notes/a.txt" }, CWD)).toEqual([
      { scope: { kind: "folder", path: "/tmp/notes" }, label: "Reading files in `/tmp/notes`" },
      { scope: { kind: "tool" }, label: "Reading any file" },
    ]);
    const made = ruleFor("Read", { file_path: "/tmp/notes/a.txt" }, CWD, { kind: "folder", path: "/tmp/notes" });
    expect(made).toEqual({ rule: { toolName: "Read", kind: "folder", content: "/tmp/notes" } });
    if ("rule" in made) {
      expect(ruleAllows(made.rule, "Read", { file_path: "/tmp/notes/b.txt" }, CWD)).toBe(true);
      expect(ruleAllows(made.rule, "Write", { file_path: "/tmp/notes/b.txt" }, CWD)).toBe(false);
      expect(describeRule(made.rule, CWD)).toBe("Reading files in `/tmp/notes`");
    }
  });

  test("other tools: the tool; questions and plans: nothing", () => {
    expect(scopeOptions("WebFetch", { url: "https://example.com" }, CWD)).toEqual([
      { scope: { kind: "tool" }, label: "Any WebFetch use" },
    ]);
    expect(scopeOptions("AskUserQuestion", { questions: [] }, CWD)).toEqual([]);
    expect(scopeOptions("ExitPlanMode", { plan: "x" }, CWD)).toEqual([]);
  });
});

describe("the rule a scope makes", () => {
  test("a prefix the command does not start with, at a word boundary, is refused", () => {
    expect(ruleFor("Bash", { command: "npm testing" }, CWD, { kind: "prefix", prefix: "npm test" })).toEqual({
      refused: "The command does not start with `npm test`.",
    });
    expect(ruleFor("Bash", { command: "npm  test  x" }, CWD, { kind: "prefix", prefix: " npm test " })).toEqual({
      rule: { toolName: "Bash", kind: "prefix", content: "npm test" },
    });
    expect(ruleFor("Bash", { command: "a b" }, CWD, { kind: "prefix", prefix: "a;" })).toHaveProperty("refused");
  });

  test("a folder must hold the file; a scope the tool has not is refused", () => {
    expect(ruleFor("Write", { file_path: "src/a.ts" }, CWD, { kind: "folder", path: "/home/me/shop/src" })).toEqual({
      rule: { toolName: "Edit", kind: "folder", content: "/home/me/shop/src" },
    });
    expect(ruleFor("Write", { file_path: "src/../../b.ts" }, CWD, { kind: "folder", path: CWD })).toHaveProperty(
      "refused",
    );
    expect(ruleFor("Write", { file_path: "a.ts" }, CWD, { kind: "folder", path: "relative" })).toHaveProperty(
      "refused",
    );
    expect(ruleFor("Bash", { command: "ls" }, CWD, { kind: "folder", path: "/" })).toHaveProperty("refused");
    expect(ruleFor("Read", { file_path: "a" }, CWD, { kind: "command" })).toHaveProperty("refused");
    expect(ruleFor("AskUserQuestion", {}, CWD, { kind: "tool" })).toHaveProperty("refused");
  });
});

describe("whether a rule allows a tool use", () => {
  const prefix = { toolName: "Bash", kind: "prefix" as const, content: "npm test" };
  test("a prefix: the same words first, one simple command", () => {
    expect(ruleAllows(prefix, "Bash", { command: "npm test -- --watch" }, CWD)).toBe(true);
    expect(ruleAllows(prefix, "Bash", { command: "npm test" }, CWD)).toBe(true);
    expect(ruleAllows(prefix, "Bash", { command: "npm testing" }, CWD)).toBe(false);
    expect(ruleAllows(prefix, "Bash", { command: "npm test; rm -rf ~" }, CWD)).toBe(false);
    expect(ruleAllows(prefix, "Bash", { command: "npm test $(curl evil)" }, CWD)).toBe(false);
    expect(ruleAllows(prefix, "Bash", { command: "npm test\nrm -rf ~" }, CWD)).toBe(false);
  });

  test("a command: exactly that text", () => {
    const command = { toolName: "Bash", kind: "command" as const, content: "touch a && touch b" };
    expect(ruleAllows(command, "Bash", { command: "touch a && touch b" }, CWD)).toBe(true);
    expect(ruleAllows(command, "Bash", { command: "touch a && touch c" }, CWD)).toBe(false);
  });

  test("a folder: any edit tool, inside it once . and .. are resolved", () => {
    const folder = { toolName: "Edit", kind: "folder" as const, content: "/home/me/shop/src" };
    expect(ruleAllows(folder, "MultiEdit", { file_path: "src/x/y.ts" }, CWD)).toBe(true);
    expect(ruleAllows(folder, "NotebookEdit", { notebook_path: "/home/me/shop/src/n.ipynb" }, CWD)).toBe(true);
    expect(ruleAllows(folder, "Write", { file_path: "src/../secrets.env" }, CWD)).toBe(false);
    expect(ruleAllows(folder, "Write", { file_path: "/home/me/shop/src-old/a.ts" }, CWD)).toBe(false);
    expect(ruleAllows(folder, "Read", { file_path: "src/a.ts" }, CWD)).toBe(false);
  });

  test("a tool: every use of it; the edit tools count as one", () => {
    const edits = { toolName: "Edit", kind: "tool" as const };
    expect(ruleAllows(edits, "Write", { file_path: "/anywhere" }, CWD)).toBe(true);
    expect(ruleAllows(edits, "Bash", { command: "ls" }, CWD)).toBe(false);
  });
});

test("a rule in words", () => {
  expect(describeRule({ toolName: "Bash", kind: "prefix", content: "npm test" }, CWD)).toBe(
    "Commands starting with `npm test`",
  );
  expect(describeRule({ toolName: "Edit", kind: "folder", content: "/home/me/shop/src" }, CWD)).toBe("Edits in `src`");
  expect(describeRule({ toolName: "Edit", kind: "tool" }, CWD)).toBe("Any file edit");
  expect(describeRule({ toolName: "Bash", kind: "tool" }, CWD)).toBe("Any command");
  expect(isSimpleCommand("npm test 2>&1")).toBe(false);
});
