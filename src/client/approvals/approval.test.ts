import { describe, expect, test } from "bun:test";
import { testPermission } from "../testing/permission.ts";
import { allAnswered, answersFor, describeApproval, diffLines, fieldsOf, parseQuestions } from "./approval.ts";
import { resolutionText } from "./resolution.ts";

describe("describeApproval", () => {
  test("Bash: the command and its description; the CLI's title is the heading", () => {
    const view = describeApproval(
      testPermission(
        "Bash",
        { command: "touch e2e-approved.txt", description: "Create the file" },
        { title: "Claude wants to run touch e2e-approved.txt" },
      ),
    );
    expect(view.heading).toBe("Claude wants to run touch e2e-approved.txt");
    expect(view.summary).toBe("Bash touch e2e-approved.txt");
    expect(view.body).toEqual({ kind: "bash", command: "touch e2e-approved.txt", description: "Create the file" });
    expect(describeApproval(testPermission("Bash", { command: "ls" })).heading).toBe("Run a command");
  });

  test("Edit: the path relative to the session's folder and a compact diff", () => {
    const view = describeApproval(
      testPermission("Edit", {
        file_path: "/work/project/src/a.ts",
        old_string: "const a = 1;\nconst b = 2;\nconst c = 3;\n",
        new_string: "const a = 1;\nconst b = 20;\nconst c = 3;\n",
      }),
      "/work/project",
    );
    expect(view.heading).toBe("Edit a file");
    expect(view.body).toEqual({
      kind: "edit",
      path: "src/a.ts",
      hunks: [
        [
          { kind: "same", text: "const a = 1;" },
          { kind: "del", text: "const b = 2;" },
          { kind: "add", text: "const b = 20;" },
          { kind: "same", text: "const c = 3;" },
        ],
      ],
    });
  });

  test("MultiEdit: one hunk per edit", () => {
    const view = describeApproval(
      testPermission("MultiEdit", {
        file_path: "/x/y.md",
        edits: [
          { old_string: "a", new_string: "b" },
          { old_string: "c", new_string: "" },
        ],
      }),
    );
    expect(view.body.kind === "edit" ? view.body.hunks : null).toEqual([
      [
        { kind: "del", text: "a" },
        { kind: "add", text: "b" },
      ],
      [{ kind: "del", text: "c" }],
    ]);
  });

  test("Write: the new content as lines", () => {
    const view = describeApproval(testPermission("Write", { file_path: "/p/notes.txt", content: "one\ntwo\n" }), "/p");
    expect(view.body).toEqual({ kind: "write", path: "notes.txt", lines: ["one", "two"] });
  });

  test("other tools: readable key/value fields; the reason the CLI gave", () => {
    const view = describeApproval(
      testPermission(
        "WebFetch",
        { url: "https://example.com", prompt: "Summarise it", options: { depth: 2 } },
        { decisionReason: "Not in the allow list", blockedPath: "/etc/hosts" },
      ),
    );
    expect(view.heading).toBe("Fetch a web page");
    expect(view.reason).toBe("Not in the allow list · Path: /etc/hosts");
    expect(view.body).toEqual({
      kind: "fields",
      fields: [
        { key: "url", value: "https://example.com", block: false },
        { key: "prompt", value: "Summarise it", block: false },
        { key: "options", value: '{\n  "depth": 2\n}', block: true },
      ],
    });
    expect(describeApproval(testPermission("mcp__github__create_issue", { title: "x" })).heading).toBe(
      "Use github: create_issue",
    );
  });

  test("Read: named for what it does; the CLI's description shown only when it adds to the inputs", () => {
    const path = "/tmp/outside/notes-1.txt";
    const view = describeApproval(testPermission("Read", { file_path: path }, { description: path }), "/p");
    expect(view.heading).toBe("Read a file");
    expect(view.note).toBeNull();
    const inside = describeApproval(
      testPermission("Read", { file_path: "/p/src/a.ts" }, { description: "src/a.ts" }),
      "/p",
    );
    expect(inside.note).toBeNull();
    const said = describeApproval(
      testPermission("Read", { file_path: path }, { description: "Read the notes for the summary" }),
    );
    expect(said.note).toBe("Read the notes for the summary");
    // A command's description is part of its body, not a note.
    const bash = describeApproval(testPermission("Bash", { command: "ls" }, { description: "List the files" }));
    expect(bash.note).toBeNull();
  });

  test("AskUserQuestion becomes its questions; malformed ones fall back to fields", () => {
    const input = {
      questions: [
        {
          question: "Which database?",
          header: "Database",
          options: [{ label: "Postgres", description: "Relational" }, { label: "SQLite" }],
          multiSelect: false,
        },
        { question: "Which extras?", options: [{ label: "Auth" }, { label: "Billing" }], multiSelect: true },
        { nope: true },
      ],
    };
    const view = describeApproval(testPermission("AskUserQuestion", input));
    expect(view.heading).toBe("Claude has a question");
    expect(view.body.kind).toBe("question");
    expect(parseQuestions(input)).toEqual([
      {
        question: "Which database?",
        header: "Database",
        options: [
          { label: "Postgres", description: "Relational" },
          { label: "SQLite", description: null },
        ],
        multiSelect: false,
      },
      {
        question: "Which extras?",
        header: null,
        options: [
          { label: "Auth", description: null },
          { label: "Billing", description: null },
        ],
        multiSelect: true,
      },
    ]);
    expect(describeApproval(testPermission("AskUserQuestion", { questions: "?" })).body.kind).toBe("fields");
  });
});

describe("answers", () => {
  const questions = parseQuestions({
    questions: [
      { question: "Which database?", options: [{ label: "Postgres" }, { label: "SQLite" }] },
      { question: "Which extras?", options: [{ label: "Auth" }, { label: "Billing" }], multiSelect: true },
    ],
  });

  test("one label per question; multi-select labels comma-separated in the options' order", () => {
    const chosen = { "Which database?": ["SQLite"], "Which extras?": ["Billing", "Auth"] };
    expect(answersFor(questions, chosen)).toEqual({ "Which database?": "SQLite", "Which extras?": "Auth, Billing" });
    expect(allAnswered(questions, chosen)).toBe(true);
    expect(allAnswered(questions, { "Which database?": ["SQLite"] })).toBe(false);
    expect(allAnswered([], {})).toBe(false);
  });
});

describe("diffLines", () => {
  test("an insertion into an empty file, a deletion to nothing", () => {
    expect(diffLines("", "a\nb")).toEqual([
      { kind: "add", text: "a" },
      { kind: "add", text: "b" },
    ]);
    expect(diffLines("a\n", "")).toEqual([{ kind: "del", text: "a" }]);
  });

  test("identical texts give only context", () => {
    expect(diffLines("a\nb\nc", "a\nb\nc", 1)).toEqual([]);
  });

  test("two separate changes show as two, with the unchanged lines between them left out", () => {
    const before = ["import a", "one", "two", "three", "four", "five", "end"].join("\n");
    const after = ["import b", "one", "two", "three", "four", "FIVE", "end"].join("\n");
    expect(diffLines(before, after)).toEqual([
      { kind: "del", text: "import a" },
      { kind: "add", text: "import b" },
      { kind: "same", text: "one" },
      { kind: "gap", text: "" },
      { kind: "same", text: "four" },
      { kind: "del", text: "five" },
      { kind: "add", text: "FIVE" },
      { kind: "same", text: "end" },
    ]);
  });

  test("an inserted line in the middle is one added line, not the rest of the text replaced", () => {
    expect(diffLines("a\nb\nc\nd", "a\nb\nnew\nc\nd")).toEqual([
      { kind: "same", text: "b" },
      { kind: "add", text: "new" },
      { kind: "same", text: "c" },
    ]);
  });

  test("a change at the very end with no trailing newline", () => {
    expect(diffLines("x\ny", "x\nz")).toEqual([
      { kind: "same", text: "x" },
      { kind: "del", text: "y" },
      { kind: "add", text: "z" },
    ]);
  });
});

describe("resolutionText", () => {
  test.each([
    ["allow", null, "Bash", "Allowed"],
    ["allow", null, "AskUserQuestion", "Answered"],
    ["allow_always", null, "Bash", "Always allowed"],
    ["deny", "use a temp dir", "Bash", "Denied: use a temp dir"],
    ["deny", null, "Bash", "Denied"],
    ["cancelled", "The message was stopped.", "Bash", "Cancelled"],
  ] as const)("%s (%s)", (status, resolutionMessage, toolName, text) => {
    expect(resolutionText({ status, resolutionMessage, toolName })).toBe(text);
  });

  test("an answered question says what was chosen, whichever device chose it", () => {
    const answered = { status: "allow", resolutionMessage: null, toolName: "AskUserQuestion" } as const;
    expect(resolutionText({ ...answered, answers: { "Which database?": "SQLite" } })).toBe("Answered: SQLite");
    expect(
      resolutionText({ ...answered, answers: { "Which database?": "SQLite", "Which ORM?": "none, raw SQL" } }),
    ).toBe("Answered: SQLite; none, raw SQL");
    expect(resolutionText({ ...answered, answers: {} })).toBe("Answered");
  });

  test("always allowed says what it allowed from now on", () => {
    const rule = (kind: "prefix" | "folder", content: string) => ({
      id: crypto.randomUUID(),
      toolName: kind === "prefix" ? "Bash" : "Edit",
      kind,
      content,
      createdAt: "2026-12-03T10:00:00.000Z",
    });
    const always = { status: "allow_always", resolutionMessage: null, toolName: "Bash" } as const;
    expect(resolutionText({ ...always, rule: rule("prefix", "npm test") }, "/p")).toBe(
      "Always allowed: commands starting with npm test",
    );
    expect(resolutionText({ ...always, toolName: "Write", rule: rule("folder", "/p/src") }, "/p")).toBe(
      "Always allowed: edits in src",
    );
  });
});

test("fieldsOf shows paths relative to the folder", () => {
  expect(fieldsOf({ notebook_path: "/p/a.ipynb", cell: 3 }, "/p")).toEqual([
    { key: "notebook path", value: "a.ipynb", block: false },
    { key: "cell", value: "3", block: false },
  ]);
});
