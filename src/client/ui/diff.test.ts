import { describe, expect, test } from "bun:test";
import { countChanges, parseUnifiedDiff, withWordHighlights } from "./diff.ts";

const GIT_PATCH = `diff --git a/notes.txt b/notes.txt
index 4c5fd91..b9a1c24 100644
--- a/notes.txt
+++ b/notes.txt
@@ -1,3 +1,3 @@
 one
-let total = price * count;
+let total = price * amount;
 three
@@ -40,2 +40,3 @@ function later() {
 x
+y
\\ No newline at end of file
diff --git a/b.txt b/b.txt
new file mode 100644
--- /dev/null
+++ b/b.txt
@@ -0,0 +1 @@
+hello
`;

describe("parseUnifiedDiff", () => {
  test("keeps hunk lines only, marks where later hunks start, drops the no-newline marker", () => {
    expect(parseUnifiedDiff(GIT_PATCH)).toEqual([
      { kind: "same", text: "one" },
      { kind: "del", text: "let total = price * count;" },
      { kind: "add", text: "let total = price * amount;" },
      { kind: "same", text: "three" },
      { kind: "gap", text: "Line 40 · function later() {" },
      { kind: "same", text: "x" },
      { kind: "add", text: "y" },
      { kind: "gap", text: "Line 1" },
      { kind: "add", text: "hello" },
    ]);
  });

  test("a header line that looks like a change (--- a/…) is not one; an empty patch is no lines", () => {
    const lines = parseUnifiedDiff(GIT_PATCH);
    expect(lines.some((line) => line.text.startsWith("-- a/") || line.text.startsWith("++ b/"))).toBe(false);
    expect(parseUnifiedDiff("")).toEqual([]);
    expect(countChanges(lines)).toEqual({ additions: 3, deletions: 1 });
  });
});

describe("withWordHighlights", () => {
  test("an edited line marks only the words that changed, on both sides", () => {
    const [, del, add] = withWordHighlights(parseUnifiedDiff(GIT_PATCH));
    expect(del?.parts?.filter((p) => p.changed).map((p) => p.text)).toEqual(["count"]);
    expect(add?.parts?.filter((p) => p.changed).map((p) => p.text)).toEqual(["amount"]);
    expect(del?.parts?.map((p) => p.text).join("")).toBe(del?.text);
    expect(add?.parts?.map((p) => p.text).join("")).toBe(add?.text);
  });

  test("a replaced line (little in common) and an unpaired added line get no word highlight", () => {
    const lines = withWordHighlights([
      { kind: "del", text: "import a from 'a';" },
      { kind: "add", text: "const zebra = 42 + q;" },
      { kind: "add", text: "extra" },
    ]);
    expect(lines.every((line) => line.parts === undefined)).toBe(true);
  });
});
