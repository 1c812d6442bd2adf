import { describe, expect, test } from "bun:test";
import { firstProseLine, lastProseLine, plainLine } from "./plainText.ts";
import { titleFrom } from "./sessionService.ts";

describe("plain text for one line", () => {
  test("titles lose their Markdown", () => {
    expect(titleFrom("# Fix the **auth** bug in `login.ts`")).toBe("Fix the auth bug in login.ts");
    expect(titleFrom("- [ ] see [the docs](https://example.com/x) and _retry_")).toBe("see the docs and retry");
    expect(titleFrom("> quoted ~~old~~ idea")).toBe("quoted old idea");
    expect(titleFrom("```sh\nnpm test\n```\nWhy does this fail?")).toBe("Why does this fail?");
    expect(titleFrom("   \n\n")).toBe("New session");
  });

  test("what is not Markdown syntax stays: a lone asterisk, snake_case, 2*3", () => {
    expect(titleFrom("rename my_var_name, 2 * 3 = 6")).toBe("rename my_var_name, 2 * 3 = 6");
    expect(titleFrom("escaped \\*stars\\*")).toBe("escaped *stars*");
  });

  test("long lines are cut with an ellipsis", () => {
    const title = titleFrom("word ".repeat(40));
    expect(title.length).toBeLessThanOrEqual(60);
    expect(title.endsWith("…")).toBe(true);
  });

  test("the agent's last line skips code, rules and empty lines", () => {
    const reply = "I ran the tests.\n\n```\nok 12\n```\n\n---\n\n**All 12 pass.**\n\n";
    expect(lastProseLine(reply)).toBe("**All 12 pass.**");
    expect(plainLine(lastProseLine(reply), 200)).toBe("All 12 pass.");
  });

  test("a table row reads as cells", () => {
    expect(firstProseLine("| file | lines |\n|---|---|\n| a.ts | 3 |")).toBe("file · lines");
    expect(lastProseLine("| file | lines |\n|---|---|\n| a.ts | 3 |")).toBe("a.ts · 3");
  });

  test("whitespace collapses, so a line never wraps into two", () => {
    expect(plainLine("a\tb\n c", 200)).toBe("a b c");
  });
});

test("a huge line of unmatched markers keeps them, cut to the length shown", () => {
  const line = plainLine("*a ".repeat(50_000), 200);
  expect(line.startsWith("*a *a")).toBe(true);
  expect(line.length).toBeLessThanOrEqual(200);
});
