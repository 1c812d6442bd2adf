import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { renderToStaticMarkup } from "react-dom/server";
import { parseInline, safeHref } from "./inline.ts";
import {
  type Block,
  type BlockParse,
  headingLevels,
  Markdown,
  parseBlocks,
  parseBlocksFrom,
  shownEnd,
} from "./markdown.tsx";
import { StreamedText } from "./streamedText.ts";

const html = (source: string) => renderToStaticMarkup(<Markdown source={source} />);

describe("safety: HTML in the text stays text", () => {
  test.each([
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "**<svg onload=alert(1)>**",
    "`<b>` and <b>bold</b>",
    "| a | <script>x</script> |\n|---|---|\n| <img src=x onerror=y> | b |",
    "- <style>body{display:none}</style>",
    "```html\n<script>alert(1)</script>\n```",
  ])("%s", (source) => {
    // A code block's own header (its Copy icon is an <svg>) is the app's, not the text's.
    const out = html(source).replace(/<div class="md-codeblock-header">.*?<\/div>/gs, "");
    expect(out).not.toMatch(/<(script|img|iframe|svg|style|b)[\s>]/i);
    expect(out).not.toMatch(/<a [^>]*href="javascript:/i);
    expect(out).toContain("&lt;");
  });

  test("the exact text survives", () => {
    expect(html("<script>alert(1)</script>")).toBe(
      '<div class="md"><p>&lt;script&gt;alert(1)&lt;/script&gt;</p></div>',
    );
  });

  test.each([
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](vbscript:msgbox)",
    "[click](/relative/path)",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
  ])("no unsafe link: %s", (source) => {
    const out = html(source);
    expect(out).not.toContain("href=");
  });

  test("safeHref allows only absolute http(s) and mailto", () => {
    expect(safeHref("https://example.com/a?b=1")).toBe("https://example.com/a?b=1");
    expect(safeHref("mailto:me@example.com")).toBe("mailto:me@example.com");
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref(" javascript:alert(1)")).toBeNull();
    expect(safeHref("ftp://x")).toBeNull();
    expect(safeHref("./a")).toBeNull();
  });
});

describe("links", () => {
  test("open in a new tab without opener or referrer", () => {
    expect(html("see [the docs](https://bun.sh/docs)")).toContain(
      '<a href="https://bun.sh/docs" target="_blank" rel="noopener noreferrer">the docs</a>',
    );
  });

  test("bare and angle-bracket URLs become links; trailing punctuation stays outside", () => {
    const out = html("Go to https://example.com/x. Or <https://example.org>!");
    expect(out).toContain('href="https://example.com/x"');
    expect(out).toContain(">https://example.com/x</a>.");
    expect(out).toContain('href="https://example.org/"');
  });

  test("URLs with parentheses", () => {
    expect(html("[w](https://en.wikipedia.org/wiki/Bun_(software))")).toContain(
      'href="https://en.wikipedia.org/wiki/Bun_(software)"',
    );
  });

  test("images are shown as links, never loaded", () => {
    const out = html("![diagram](https://example.com/d.png)");
    expect(out).not.toContain("<img");
    expect(out).toContain('href="https://example.com/d.png"');
  });
});

describe("inline code", () => {
  test("a short span stays on one line; a long one may wrap", () => {
    expect(html("pass `--retry` now")).toContain('<code class="md-code-inline nowrap">--retry</code>');
    const long = "src/server/transcription/warmDecoder.ts";
    expect(html(`see \`${long}\``)).toContain(`<code class="md-code-inline">${long}</code>`);
  });
});

describe("blocks", () => {
  test("headings start below the page's h1 and never skip a level", () => {
    expect(html("# Title\n## Sub")).toBe(
      '<div class="md"><h2 class="md-h md-h1">Title</h2><h3 class="md-h md-h2">Sub</h3></div>',
    );
    // The agent's `##` then `####`: h2 then h3, whatever levels the message uses.
    expect(html("## Result\n#### Detail\n## Next")).toBe(
      '<div class="md"><h2 class="md-h md-h2">Result</h2><h3 class="md-h md-h4">Detail</h3><h2 class="md-h md-h2">Next</h2></div>',
    );
    // Headings inside a quote or a list take part in the same order.
    expect(html("### Top\n> ###### Quoted")).toContain('<blockquote><h3 class="md-h md-h6">Quoted</h3></blockquote>');
  });

  test("fenced code keeps its text and scrolls horizontally", () => {
    const out = html("```ts\nconst a = 1 < 2 && b;\n  indented\n```");
    expect(out).toContain('<span class="md-codeblock-lang">ts</span>');
    expect(out).toContain('aria-label="Copy"');
    expect(out).toContain('<pre tabindex="0"><code>const a = 1 &lt; 2 &amp;&amp; b;\n  indented</code></pre>');
  });

  test("an unterminated fence (still streaming) is code to the end", () => {
    expect(parseBlocks("text\n```\nline 1\nline 2")).toEqual([
      { type: "paragraph", text: "text" },
      { type: "code", lang: "", code: "line 1\nline 2" },
    ]);
  });

  test("nested lists, ordered start and task items", () => {
    const blocks = parseBlocks("3. three\n4. four\n   - nested *a*\n   - nested b\n\n- [x] done\n- [ ] todo");
    expect(blocks[0]).toMatchObject({ type: "list", ordered: true, start: 3 });
    const ordered = blocks[0];
    if (ordered?.type !== "list") throw new Error("not a list");
    expect(ordered.items).toHaveLength(2);
    expect(ordered.items[1]?.blocks[1]).toMatchObject({ type: "list", ordered: false });
    expect(blocks[1]).toMatchObject({ type: "list", items: [{ checked: true }, { checked: false }] });
    const out = html("3. three\n4. four");
    expect(out).toContain('<ol start="3">');
  });

  test("a loose list stays one list", () => {
    const blocks = parseBlocks("- a\n\n- b\n\n- c");
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ type: "list" });
  });

  test("tables with alignment", () => {
    const blocks = parseBlocks("| a | b |\n|:--|--:|\n| 1 | `x|y` |\n| 2 | 3 |");
    expect(blocks[0]).toEqual({
      type: "table",
      align: ["left", "right"],
      head: ["a", "b"],
      rows: [
        ["1", "`x|y`"],
        ["2", "3"],
      ],
    });
  });

  test("quotes, rules and paragraphs with line breaks", () => {
    expect(parseBlocks("> quoted\n> more\n\n---\nline one\nline two")).toEqual([
      { type: "quote", blocks: [{ type: "paragraph", text: "quoted\nmore" }] },
      { type: "rule" },
      { type: "paragraph", text: "line one\nline two" },
    ]);
    expect(html("a\nb")).toBe('<div class="md"><p>a<br/>b</p></div>');
  });
});

describe("inline", () => {
  test("emphasis, strong, strike and code", () => {
    expect(html("**bold** *it* _it2_ ~~gone~~ `co*de*`")).toBe(
      '<div class="md"><p><strong>bold</strong> <em>it</em> <em>it2</em> <del>gone</del> <code class="md-code-inline nowrap">co*de*</code></p></div>',
    );
  });

  test("snake_case words and lone asterisks are left alone", () => {
    expect(parseInline("use my_var_name and 2 * 3 * 4")).toEqual([
      { type: "text", text: "use my_var_name and 2 * 3 * 4" },
    ]);
  });

  test("escapes", () => {
    expect(parseInline("\\*not em\\*")).toEqual([{ type: "text", text: "*not em*" }]);
  });

  test("pathological input does not hang or throw", () => {
    const nasty = `${"[".repeat(2000)}${"*".repeat(2000)}${"`".repeat(999)}${"> ".repeat(500)}`;
    const started = performance.now();
    expect(() => html(nasty)).not.toThrow();
    expect(() => html("- ".repeat(300))).not.toThrow();
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("entities, code spans and www links", () => {
  test("named and numeric entities become their characters, and stay text", () => {
    expect(parseInline("Tom &amp; Jerry &lt;b&gt; &#169; &#x1F600; &hellip;")).toEqual([
      { type: "text", text: "Tom & Jerry <b> © 😀 …" },
    ]);
    expect(html("&lt;script&gt;alert(1)&lt;/script&gt;")).toBe(
      '<div class="md"><p>&lt;script&gt;alert(1)&lt;/script&gt;</p></div>',
    );
  });

  test("unknown names, escaped ampersands and invalid code points", () => {
    expect(parseInline("&bogus; \\&amp; &#0; &#xD800; a & b")).toEqual([
      { type: "text", text: "&bogus; &amp; \ufffd \ufffd a & b" },
    ]);
  });

  test("entities inside code spans stay as written", () => {
    expect(parseInline("`&amp;`")).toEqual([{ type: "code", text: "&amp;" }]);
  });

  test("a code span may contain a longer or shorter backtick run", () => {
    expect(parseInline("`` a ``` b ``")).toEqual([{ type: "code", text: "a ``` b" }]);
    expect(parseInline("``` x `` y ```")).toEqual([{ type: "code", text: "x `` y" }]);
    expect(parseInline("`` ` ``")).toEqual([{ type: "code", text: "`" }]);
  });

  test("an unmatched backtick run stays text", () => {
    expect(parseInline("a ``` b ` c")).toEqual([{ type: "text", text: "a ``` b ` c" }]);
  });

  test("www. links become http links; trailing punctuation stays outside", () => {
    expect(parseInline("see www.example.com/a_(b).")).toEqual([
      { type: "text", text: "see " },
      {
        type: "link",
        href: "http://www.example.com/a_(b)",
        children: [{ type: "text", text: "www.example.com/a_(b)" }],
      },
      { type: "text", text: "." },
    ]);
    expect(parseInline("(www.example.com)")).toEqual([
      { type: "text", text: "(" },
      { type: "link", href: "http://www.example.com/", children: [{ type: "text", text: "www.example.com" }] },
      { type: "text", text: ")" },
    ]);
  });

  test("www without a domain, or inside a word, is text", () => {
    expect(parseInline("www. and awww.example.com")).toEqual([{ type: "text", text: "www. and awww.example.com" }]);
  });

  test("an http link without a dot still links (localhost)", () => {
    expect(parseInline("http://localhost:3000")).toEqual([
      { type: "link", href: "http://localhost:3000/", children: [{ type: "text", text: "http://localhost:3000" }] },
    ]);
  });
});

describe("unmatched markers", () => {
  // The shapes that were quadratic (issue 16); the timing is in bench/markdown.ts, this is what they render as.
  test.each(["*a ", "[a ", "_a ", "**a ", "~~a ", "[a](", "![a]("])("%s repeated stays text", (unit) => {
    const source = unit.repeat(2_000);
    const text = parseInline(source)
      .map((node) => (node.type === "text" ? node.text : ""))
      .join("");
    expect(text).toBe(source);
  });

  test("a link after many unmatched brackets still links", () => {
    expect(parseInline(`${"[a ".repeat(50)}[b](https://x.dev)`).at(-1)).toEqual({
      type: "link",
      href: "https://x.dev/",
      children: [{ type: "text", text: "b" }],
    });
  });
});

/** Parses `source` as it streams in chunks of the given sizes (cycled); `each` sees every parse and the one before it. */
function streamInChunks(
  source: string,
  chunks: readonly number[],
  each: (next: BlockParse, previous: BlockParse | null) => void,
): BlockParse | null {
  let previous: BlockParse | null = null;
  let end = 0;
  // As the app streams a reply: each version grows from the one before.
  let text = StreamedText.EMPTY;
  for (let c = 0; end < source.length; c++) {
    const start = end;
    end = Math.min(source.length, end + (chunks[c % chunks.length] ?? 1));
    text = text.append(source.slice(start, end));
    const next = parseBlocksFrom(text, previous);
    each(next, previous);
    previous = next;
  }
  return previous;
}

describe("streaming: parseBlocksFrom", () => {
  const samples = [
    "# Title\n\nSome *text* here.\nMore text.\n\n- a\n- b\n\n  continued\n- c\n\nAfter the list.\n",
    "Intro\n```ts\nconst a = 1;\n\nconst b = 2;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\nlazy\n\n> second\n\n---\nend",
    "1. one\n2. two\n   ```\n   code\n\n   more\n   ```\n3. three\n\npara | with pipe\n|-|\nrow\n\n## h2\n#### h4\n",
    "text\r\nwith\tcrlf\r\n\r\n- [x] done\n- [ ] todo\n\n~~~\nunterminated fence\n\nstill code",
    "a\n\n\n\nb\n    indented\n* star\n+ plus\n\n1) paren\n",
    "  - two spaces\n  - in\n   - three\n  - back\n  lazy\n- out\n-\n- empty above\n---\n1. a\n2. b\n3) c\n",
    "| h | i |\n|---|--:|\n| 1 | 2 |\n| 3 |\n| 4 | 5 | 6 |\nnot a row\n| x |\n\n- a\n\n  loose\n- b\n\n\n- c\n",
    // Loose lists: after a blank line, a line whose marker is still arriving ("1", "-") may go on with the list.
    "1. one\n\n2. two\n\n10) ten\n\n11) eleven\n\n- a\n\n* b\n\n+ c\n-d\n\n```\ncode\n```\n\n1. x\n\n# h\n",
  ];

  test.each(samples.map((sample, index) => [index, sample] as const))(
    "sample %d: every prefix, in chunks of 1, 3 and 7, as strings or streamed, parses as the whole prefix does",
    (_, sample) => {
      for (const chunk of [1, 3, 7]) {
        let previous: BlockParse | null = null;
        let streamed = StreamedText.EMPTY;
        for (let end = chunk; end < sample.length + chunk; end += chunk) {
          const prefix = sample.slice(0, end);
          previous = parseBlocksFrom(prefix, previous);
          expect(previous.blocks).toEqual(parseBlocks(prefix));
        }
        previous = null;
        for (let end = 0; end < sample.length; end += chunk) {
          streamed = streamed.append(sample.slice(end, end + chunk));
          previous = parseBlocksFrom(streamed, previous);
          expect(previous.blocks).toEqual(parseBlocks(sample.slice(0, end + chunk)));
        }
      }
    },
  );

  test("any text of Markdown's pieces, streamed in any chunks, parses as the whole text does", () => {
    const piece = fc.constantFrom(
      "\n",
      "\n\n",
      " \n",
      "- ",
      "1. ",
      "  ",
      "    ",
      "> ",
      "```",
      "~~~",
      "# ",
      "| a | b |",
      "|---|",
      "---",
      "text",
      "*",
      "[x] ",
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1 }),
        (pieces, chunks) => {
          const source = pieces.join("");
          const last = streamInChunks(source, chunks, (next, previous) => {
            // Whatever came out as it was is the object it was: rendering skips it by identity.
            next.blocks.forEach((block, k) => {
              const before = previous?.blocks[k];
              if (before !== undefined && Bun.deepEquals(before, block)) expect(block).toBe(before);
            });
          });
          expect(last?.blocks ?? []).toEqual(parseBlocks(source));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("long lists and tables, streamed in any chunks, parse as the whole text does", () => {
    // Read on from their settled items and rows: these pieces make items that end, continue,
    // nest, change kind or indent, and tables that end or turn into paragraphs.
    const piece = fc.constantFrom(
      "\n",
      "\n\n",
      "- a",
      "- b\n",
      " - c\n",
      "  - d\n",
      "* e\n",
      "1. f\n",
      "2) g\n",
      "   h\n",
      "lazy\n",
      "- [x] i\n",
      "- ## j\n",
      "  #### k\n",
      "> q\n",
      "```\n",
      "---\n",
      "-",
      "| a | b |\n",
      "|---|---|\n",
      "| 1 |",
      " 2 |\n",
      "x",
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }),
        (pieces, chunks) => {
          const source = pieces.join("");
          streamInChunks(source, chunks, (next) => {
            expect(next.blocks).toEqual(parseBlocks(String(next.raw)));
            // The heading levels (which tag each heading gets) too: an open list's are kept per item.
            expect(headingLevels(next)).toBe(headingLevels(parseBlocksFrom(String(next.raw), null)));
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a long list or table that grows is read on from its last items or rows, not from its start", () => {
    const items = Array.from({ length: 200 }, (_, n) => `- item ${n}\n`).join("");
    const list = parseBlocksFrom(`${items}- item 200 is s`, parseBlocksFrom(items, null));
    expect(list.tail.length).toBeLessThan(40);
    expect(list.blocks[0]?.type === "list" && list.blocks[0].items.length).toBe(201);

    const rows = Array.from({ length: 200 }, (_, n) => `| ${n} | x |\n`).join("");
    const table = parseBlocksFrom(
      `| a | b |\n|---|---|\n${rows}| 200 | y`,
      parseBlocksFrom(`| a | b |\n|---|---|\n${rows}`, null),
    );
    expect(table.tail.length).toBeLessThan(40);
    expect(table.blocks[0]?.type === "table" && table.blocks[0].rows.length).toBe(201);
  });

  test("a long paragraph renders as a short one does (the element tree adds no markup)", () => {
    const sentence = "Ran `npm test` in **packages/1**: passed, _2 failed_ (see https://example.com/runs/1).";
    const one = html(sentence);
    const inner = one.slice('<div class="md"><p>'.length, -"</p></div>".length);
    // 30 sentences are 240 inline nodes: past LONG_INLINE.
    expect(html(Array(30).fill(sentence).join(" "))).toBe(
      `<div class="md"><p>${Array(30).fill(inner).join(" ")}</p></div>`,
    );
  });

  test("a long list and a long table render as short ones do (the element tree adds no markup)", () => {
    const items = Array.from({ length: 20 }, (_, n) => `- item ${n}`).join("\n");
    expect(html(items)).toBe(
      `<div class="md"><ul>${Array.from({ length: 20 }, (_, n) => `<li><p>item ${n}</p></li>`).join("")}</ul></div>`,
    );
    const rows = Array.from({ length: 20 }, (_, n) => `| ${n} |`).join("\n");
    const table = html(`| h |\n|--:|\n${rows}`);
    expect(table.match(/<tr>/g)).toHaveLength(21);
    expect(table).toContain(
      `<tbody><tr><td style="text-align:right">0</td></tr><tr><td style="text-align:right">1</td></tr>`,
    );
  });

  test("blocks the new text cannot change are kept as they were (same objects)", () => {
    const first = parseBlocksFrom("# Title\n\nParagraph one.\n\nPara", null);
    const next = parseBlocksFrom("# Title\n\nParagraph one.\n\nParagraph two is longer", first);
    expect(next.blocks[0]).toBe(first.blocks[0] as NonNullable<(typeof first.blocks)[0]>);
    // "Paragraph one." is re-parsed (the line after the blank one was still incomplete: it could have
    // continued a list), and came out the same: it is the same object, so it is not rendered again.
    expect(next.blocks[1]).toEqual({ type: "paragraph", text: "Paragraph one." });
    expect(next.blocks[1]).toBe(first.blocks[1] as NonNullable<(typeof first.blocks)[1]>);
    expect(next.blocks[2]).toEqual({ type: "paragraph", text: "Paragraph two is longer" });
  });

  test("in a list or table that grew, the items and rows that did not change are the same objects", () => {
    const list = parseBlocksFrom("- one `a`\n- two\n- thr", null);
    const longer = parseBlocksFrom("- one `a`\n- two\n- three", list);
    const [before, after] = [list.blocks[0], longer.blocks[0]];
    if (before?.type !== "list" || after?.type !== "list") throw new Error("expected lists");
    expect(after).not.toBe(before);
    expect(after.items[0]).toBe(before.items[0] as (typeof before.items)[0]);
    expect(after.items[1]).toBe(before.items[1] as (typeof before.items)[1]);
    expect(after.items[2]).not.toBe(before.items[2] as (typeof before.items)[2]);

    const table = parseBlocksFrom("| a | b |\n|---|--:|\n| 1 | 2 |\n| 3 |", null);
    const wider = parseBlocksFrom("| a | b |\n|---|--:|\n| 1 | 2 |\n| 3 | 4 |", table);
    const [small, big] = [table.blocks[0], wider.blocks[0]];
    if (small?.type !== "table" || big?.type !== "table") throw new Error("expected tables");
    expect(big.head).toBe(small.head);
    expect(big.align).toBe(small.align);
    expect(big.rows[0]).toBe(small.rows[0] as string[]);
    expect(big.rows[1]).toEqual(["3", "4"]);
  });

  test("a heading whose marker is still being written does not move the other headings", () => {
    // "## Step 2" streams in through "#": for that moment the text ends in a level-1 heading, which
    // would make every "##" an h3 and back. Until a character after the #s arrives it ranks nothing.
    expect(html("## Step 1\n\ntext\n\n#")).toContain('<h2 class="md-h md-h2">Step 1</h2>');
    expect(html("## Step 1\n\ntext\n\n##")).toContain('<h2 class="md-h md-h2">Step 1</h2>');
    // Once it is a heading with text, it ranks as any other.
    expect(html("## Step 1\n\ntext\n\n# Top")).toContain('<h3 class="md-h md-h2">Step 1</h3>');
    expect(html("## Step 1\n\ntext\n\n# Top")).toContain('<h2 class="md-h md-h1">Top</h2>');
    // Inside a code block a # is code, and ranks nothing either way.
    expect(html("## Step 1\n\n```\n#")).toContain('<h2 class="md-h md-h2">Step 1</h2>');
  });

  test("a text that is not a continuation is parsed from the start", () => {
    const first = parseBlocksFrom("# One\n\ntext\n\nmore", null);
    const other = parseBlocksFrom("# Two\n\ntext\n\nmore", first);
    expect(other.blocks).toEqual(parseBlocks("# Two\n\ntext\n\nmore"));
    expect(other.blocks[0]).not.toBe(first.blocks[0] as NonNullable<(typeof first.blocks)[0]>);
  });
});

describe("streaming: lines whose kind the next delta decides", () => {
  const streamedHtml = (text: string) =>
    renderToStaticMarkup(<Markdown source={StreamedText.EMPTY.append(text)} />).replace(/<\/?div[^>]*>/g, "");
  const finishedHtml = (text: string) => renderToStaticMarkup(<Markdown source={text} />).replace(/<\/?div[^>]*>/g, "");

  test("a table's head waits for the line under it, and never shows as a paragraph", () => {
    for (const text of [
      "Intro\n\n| a | b |",
      "Intro\n\n| a | b |\n",
      "Intro\n\n| a | b |\n|",
      "Intro\n\n| a | b |\n| :",
    ]) {
      expect(streamedHtml(text)).toBe("<p>Intro</p>");
    }
    expect(streamedHtml("Intro\n\n| a | b |\n|---|")).toContain("<table>");
    // Under it, a line that cannot be a delimiter: it was a paragraph after all.
    expect(streamedHtml("Intro\n\n| a | b |\nmore")).toBe("<p>Intro</p><p>| a | b |<br/>more</p>");
    // A blank line after it: no table can follow.
    expect(streamedHtml("Intro\n\n| a | b |\n\n")).toBe("<p>Intro</p><p>| a | b |</p>");
    // Prose with a bar inside a line shows at once.
    expect(streamedHtml("Intro\n\nuse a | b")).toBe("<p>Intro</p><p>use a | b</p>");
  });

  test("the start of a fence waits for the next character; a number shows at once", () => {
    expect(streamedHtml("Intro\n\n`")).toBe("<p>Intro</p>");
    expect(streamedHtml("Intro\n\n``")).toBe("<p>Intro</p>");
    // A number shows at once: a text block may end on one while the agent works on for minutes.
    expect(streamedHtml("Intro\n\n12")).toBe("<p>Intro</p><p>12</p>");
    expect(streamedHtml("Intro\n\n```js\nx")).toContain("<pre");
    expect(streamedHtml("Intro\n\n`x`")).toContain("<code");
    expect(streamedHtml("Intro\n\n12 apples")).toBe("<p>Intro</p><p>12 apples</p>");
  });

  test("the end of a streaming reply shows a code span, bold or a link being written as what it will be", () => {
    expect(streamedHtml("Ran `npm te")).toBe('<p>Ran <code class="md-code-inline nowrap">npm te</code></p>');
    expect(streamedHtml("in **packages/")).toBe("<p>in <strong>packages/</strong></p>");
    expect(streamedHtml("Ran `")).toBe("<p>Ran </p>");
    expect(streamedHtml("see [the docs](https://exa")).toBe("<p>see the docs</p>");
    expect(streamedHtml("see ![the chart](https://exa")).toBe("<p>see 🖼 the chart</p>");
    // A link's text being written: no bracket that its address would make disappear.
    expect(streamedHtml("see [`src/a.t")).toBe('<p>see <code class="md-code-inline nowrap">src/a.t</code></p>');
    expect(streamedHtml("see [the docs]")).toBe("<p>see the docs</p>");
    expect(finishedHtml("see [the docs]")).toBe("<p>see [the docs]</p>");
    // A task's box being written shows nothing until it is one, in a nested list too.
    expect(streamedHtml("Todo:\n\n- [ ]")).toBe("<p>Todo:</p><ul><li></li></ul>");
    expect(streamedHtml("- a\n- [x]")).toBe("<ul><li><p>a</p></li><li></li></ul>");
    expect(streamedHtml("- a\n  - [x]")).toBe("<ul><li><p>a</p><ul><li></li></ul></li></ul>");
    expect(streamedHtml("- [x] d")).toContain('<li class="md-task">');
    // A heading being written; once its line is finished, its markers show as written.
    expect(streamedHtml("## Step **3")).toBe('<h2 class="md-h md-h2">Step <strong>3</strong></h2>');
    expect(streamedHtml("## Step **3\n")).toBe('<h2 class="md-h md-h2">Step **3</h2>');
    expect(streamedHtml("- ## `a.t")).toBe(
      '<ul><li><h2 class="md-h md-h2"><code class="md-code-inline nowrap">a.t</code></h2></li></ul>',
    );
    // The last list item's text is the reply's end too, in a short list and a long one (a tree).
    expect(streamedHtml("- `a.ts` done\n- `b.t")).toContain(
      '<li><p><code class="md-code-inline nowrap">b.t</code></p></li>',
    );
    const items = Array.from({ length: 12 }, (_, n) => `- item ${n}`).join("\n");
    const long = streamedHtml(`${items}\n- \`b.t`);
    expect(long).toContain('<li><p><code class="md-code-inline nowrap">b.t</code></p></li></ul>');
    expect(long.match(/<li>/g)).toHaveLength(13);
    // A table's row being written: its last cell so far. A finished line is a finished row.
    const table = "| file | time |\n|---|---|\n| `a.ts` | 1 s |\n| `src/b";
    expect(streamedHtml(table)).toContain('<td><code class="md-code-inline nowrap">src/b</code></td><td></td></tr>');
    expect(streamedHtml(`${table} |\n`)).toContain("<td>`src/b</td>");
    const rows = Array.from({ length: 12 }, (_, n) => `| r${n} | ${n} |`).join("\n");
    expect(streamedHtml(`| file | time |\n|---|---|\n${rows}\n| \`src/b`)).toContain(
      '<td><code class="md-code-inline nowrap">src/b</code></td><td></td></tr></tbody>',
    );
    // Only the end: a paragraph a blank line has ended shows its markers as they are.
    expect(streamedHtml("Ran `npm\n\nNext")).toBe("<p>Ran `npm</p><p>Next</p>");
    expect(streamedHtml("Ran `npm\n\n")).toBe("<p>Ran `npm</p>");
    // A finished reply shows an unclosed marker as it is.
    expect(finishedHtml("Ran `npm te")).toBe("<p>Ran `npm te</p>");
    // Markers alone wait for what follows them, with no empty paragraph for them.
    expect(streamedHtml("Intro\n\n**")).toBe("<p>Intro</p>");
    expect(streamedHtml("Intro\n\n`\n")).toBe("<p>Intro</p>");
  });

  test("a delta that changes only how the text ends still changes what shows", () => {
    const text = StreamedText.EMPTY.append("Ran `npm");
    const before = parseBlocksFrom(text, null);
    const open = shownEnd(before, null);
    expect(open?.shown).toEqual({ type: "paragraph", text: "Ran `npm", open: true });
    // A blank line: the same paragraph (the same object), now ended, shows its backtick as written.
    const after = parseBlocksFrom(text.append("\n\n"), before);
    expect(after.blocks.at(-1)).toBe(before.blocks.at(-1) as Block);
    expect(shownEnd(after, open)?.shown).toEqual({ type: "paragraph", text: "Ran `npm" });
    // A table's row: open mid-line; once its line is finished, shown as the row it is.
    const row = StreamedText.EMPTY.append("| a | b |\n|---|---|\n| `x");
    const writing = parseBlocksFrom(row, null);
    const openRow = shownEnd(writing, null);
    expect(openRow?.shown).toMatchObject({ type: "table", end: ["`x"] });
    expect(openRow?.shown).not.toBe(writing.blocks.at(-1));
    const finished = parseBlocksFrom(row.append("\n"), writing);
    expect(shownEnd(finished, openRow)?.shown).toBe(finished.blocks.at(-1) as Block);
    // Nothing changed: what showed is kept as it was (the same object, so React skips it).
    const again = shownEnd(after, open);
    expect(shownEnd(after, again)).toBe(again);
  });

  test("a finished reply shows every line as it is", () => {
    for (const text of ["Intro\n\n| a | b |", "Intro\n\n`", "Intro\n\n~~"]) {
      expect(finishedHtml(text)).toBe(finishedHtml(`${text}\n\n`));
      expect(finishedHtml(text)).not.toBe("<p>Intro</p>");
    }
  });
});
