import { describe, expect, test } from "bun:test";
import { highlight, highlightFence, languageOf } from "./highlight.ts";

const text = (lines: ReturnType<typeof highlight>) => lines.map((line) => line.map((t) => t.text).join("")).join("\n");

describe("highlight", () => {
  test("TypeScript: keywords, strings, numbers and comments; the text is exactly the file's", () => {
    const source = 'const x = "a // not a comment";\n/* block\ncomment */ let y = 42; // end\n';
    const lines = highlight(source, "src/main.ts");
    expect(text(lines)).toBe(source);
    const kinds = lines.flat().filter((t) => t.kind !== "plain");
    expect(kinds).toEqual([
      { text: "const", kind: "keyword" },
      { text: '"a // not a comment"', kind: "string" },
      { text: "/* block", kind: "comment" },
      { text: "comment */", kind: "comment" },
      { text: "let", kind: "keyword" },
      { text: "42", kind: "number" },
      { text: "// end", kind: "comment" },
    ]);
  });

  test("Python comments, an unclosed quote ends at its line, unknown files are plain", () => {
    const lines = highlight("def f():  # hi\n  return 'oops\nx = 1\n", "a.py");
    expect(lines[0]?.find((t) => t.kind === "comment")?.text).toBe("# hi");
    expect(lines[1]?.find((t) => t.kind === "string")?.text).toBe("'oops");
    expect(lines[2]?.find((t) => t.kind === "number")?.text).toBe("1");
    expect(languageOf("README.md")).toBeNull();
    expect(highlight("# Title\n", "README.md")).toEqual([
      [{ text: "# Title", kind: "plain" }],
      [{ text: "", kind: "plain" }],
    ]);
  });

  test("a number inside a name is not a number", () => {
    const lines = highlight("let v8 = x2;", "a.js");
    expect(lines.flat().filter((t) => t.kind === "number")).toEqual([]);
  });
});

test("a fenced block is coloured by its fence's language, under its usual names", () => {
  const kinds = (code: string, fence: string) =>
    highlightFence(code, fence)
      .flat()
      .map((t) => t.kind);
  expect(kinds("const x = 1", "typescript")).toEqual(["keyword", "plain", "number"]);
  expect(kinds("const x = 1", "ts")).toEqual(["keyword", "plain", "number"]);
  expect(kinds("echo 'hi' # done", "bash")).toEqual(["keyword", "plain", "string", "plain", "comment"]);
  expect(kinds("def f(): pass", "Python")).toEqual(["keyword", "plain", "keyword"]);
  // Unknown or absent: the text, plain.
  expect(highlightFence("const x = 1", "brainfuck")).toEqual([[{ text: "const x = 1", kind: "plain" }]]);
});
