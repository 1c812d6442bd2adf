import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type InlineParse, parseInline, parseInlineFrom } from "./inline.ts";

/**
 * Any text of `pieces` (up to `maxPieces` of them), streamed in chunks of 1 to `maxChunk`
 * characters and each longer prefix parsed from the parse of the one before, parses as the prefix
 * does whole; and the nodes before where it took over are the previous parse's own objects.
 */
function expectStreamsAsWhole(pieces: readonly string[], maxPieces: number, maxChunk: number, open = false) {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...pieces), { maxLength: maxPieces }),
      fc.array(fc.integer({ min: 1, max: maxChunk }), { minLength: 1 }),
      (chosen, chunks) => {
        const text = chosen.join("");
        let previous: InlineParse | null = null;
        let end = 0;
        for (let k = 0; end < text.length; k++) {
          end = Math.min(text.length, end + (chunks[k % chunks.length] ?? 1));
          // Open or not by turns when `open`: parses of either kind serve the next one.
          const nextOpen = open && k % 2 === 0;
          const next = parseInlineFrom(text.slice(0, end), previous, nextOpen);
          expect(next.nodes).toEqual(parseInline(next.text, 0, nextOpen));
          for (let n = 0; n < (previous?.resume.nodes ?? 0); n++)
            expect(next.nodes[n]).toBe(previous?.nodes[n] as never);
          previous = next;
        }
      },
    ),
    { numRuns: 3000 },
  );
}

/** Pieces that open, close, nest and break every construct, and text that ends inside one. */
const INLINE_PIECES: readonly string[] = [
  "a",
  "b ",
  " ",
  "\n",
  "  \n",
  "*",
  "**",
  "_",
  "__",
  "~",
  "~~",
  "`",
  "``",
  "[",
  "]",
  "(",
  ")",
  "![",
  "!",
  "(x",
  "https://a.b",
  "<",
  ">",
  "&",
  "amp;",
  "&#35;",
  "&copy",
  "\\",
  "http://x.y",
  "https://",
  "www.",
  "www.a.b",
  "h",
  "w",
  ".",
  ",",
  "<https://a.b>",
  "<mailto:a@b.c",
  "é",
  "1",
];

describe("parseInlineFrom (a streaming paragraph parsed from where its last parse can be trusted)", () => {
  test("any text of inline Markdown's pieces, streamed in any chunks, parses as the whole text does", () => {
    expectStreamsAsWhole(INLINE_PIECES, 40, 8);
  });

  test("links, code spans and emphasis that overlap, streamed in any chunks, parse as the whole text does", () => {
    // Brackets pair around code spans, so a backtick that arrives late can undo a link before it.
    expectStreamsAsWhole(
      [" ", "a", "*", "_", "`", "``", "[", "]", "(", ")", "[a](https://a.b)", "](https://a.b)"],
      24,
      6,
    );
  });

  test("a backtick that arrives after a link can turn it back into text", () => {
    const text = "*a `b* [c](https://c.d) x";
    const withTick = parseInlineFrom(`${text}\``, parseInlineFrom(text, null));
    expect(withTick.nodes).toEqual(parseInline(`${text}\``));
    // The brackets are text now (the URL in them is still a bare link).
    expect(withTick.nodes).toContainEqual({ type: "text", text: " [c](" });
  });

  test("an agent's sentence is parsed again from near its end, not from its start", () => {
    const sentence = "Ran `npm test` in **packages/1**: 41 passed, _2 failed_ (see https://example.com/runs/1). ";
    const first = parseInlineFrom(sentence.repeat(20), null);
    expect(first.resume.at).toBeGreaterThan(sentence.length * 19);
    const next = parseInlineFrom(`${sentence.repeat(20)}More`, first);
    expect(next.nodes).toEqual(parseInline(next.text));
    expect(next.nodes[0]).toBe(first.nodes[0] as never);
  });

  test("an opener without a closer yet is where the next parse starts", () => {
    const open = parseInlineFrom("done: *all but", null);
    expect(open.resume.at).toBe("done: ".length);
    expect(parseInlineFrom("done: *all but one*", open).nodes).toEqual(parseInline("done: *all but one*"));
  });

  test("text that is not a continuation is parsed whole", () => {
    const first = parseInlineFrom("**bold** start", null);
    expect(parseInlineFrom("other *text*", first).nodes).toEqual(parseInline("other *text*"));
  });
});

describe("open (a streaming reply's end): markers whose closers are still to come", () => {
  const open = (text: string) => parseInline(text, 0, true);

  test("a code span, strong, emphasis and strikethrough run to the end, as they will once closed", () => {
    expect(open("Ran `npm te")).toEqual([
      { type: "text", text: "Ran " },
      { type: "code", text: "npm te" },
    ]);
    expect(open("in **packages/")).toEqual([
      { type: "text", text: "in " },
      { type: "strong", children: [{ type: "text", text: "packages/" }] },
    ]);
    expect(open("an *impor")).toEqual([
      { type: "text", text: "an " },
      { type: "em", children: [{ type: "text", text: "impor" }] },
    ]);
    expect(open("a ~~gone")).toEqual([
      { type: "text", text: "a " },
      { type: "del", children: [{ type: "text", text: "gone" }] },
    ]);
    // Nested: the open strong holds an open code span.
    expect(open("**see `x")).toEqual([
      {
        type: "strong",
        children: [
          { type: "text", text: "see " },
          { type: "code", text: "x" },
        ],
      },
    ]);
    // Closed ones before it are as always.
    expect(open("x `a` and `b")).toEqual([
      { type: "text", text: "x " },
      { type: "code", text: "a" },
      { type: "text", text: " and " },
      { type: "code", text: "b" },
    ]);
  });

  test("a marker at the very end waits for the next character", () => {
    expect(open("Ran `")).toEqual([{ type: "text", text: "Ran " }]);
    expect(open("text **")).toEqual([{ type: "text", text: "text " }]);
    expect(open("snake_")).toEqual([{ type: "text", text: "snake" }]);
    expect(open("a ~")).toEqual([{ type: "text", text: "a " }]);
  });

  test("a link whose address is still coming shows its text", () => {
    expect(open("see [the docs](https://exa")).toEqual([
      { type: "text", text: "see " },
      { type: "text", text: "the docs" },
    ]);
  });

  test("a link whose text is still coming shows that text, without its bracket", () => {
    expect(open("see [the do")).toEqual([
      { type: "text", text: "see " },
      { type: "text", text: "the do" },
    ]);
    // Its address may come next.
    expect(open("see [the docs]")).toEqual([
      { type: "text", text: "see " },
      { type: "text", text: "the docs" },
    ]);
    // The text is open too: its markers run to the end.
    expect(open("[`src/ma")).toEqual([{ type: "code", text: "src/ma" }]);
    // A bracket alone waits for what follows it.
    expect(open("see [")).toEqual([{ type: "text", text: "see " }]);
  });

  test("a bracket in a word, or one that did not become a link, stays as it is", () => {
    for (const text of ["arr[0", "see [WIP] now", "a [b] c [d](https://d.e)"])
      expect(open(text)).toEqual(parseInline(text));
  });

  test("an image whose text is still coming shows what its link will say", () => {
    expect(open("see ![the ch")).toEqual([
      { type: "text", text: "see " },
      { type: "text", text: "🖼 the ch" },
    ]);
    expect(open("![chart]")).toEqual([{ type: "text", text: "🖼 chart" }]);
    expect(open("![]")).toEqual([{ type: "text", text: "🖼 image" }]);
    expect(open("see ![")).toEqual([{ type: "text", text: "see " }]);
  });

  test("an image whose address is still coming shows what its link will say", () => {
    expect(open("see ![the chart](https://exa")).toEqual([
      { type: "text", text: "see " },
      { type: "text", text: "🖼 the chart" },
    ]);
    expect(open("![](a")).toEqual([{ type: "text", text: "🖼 image" }]);
  });

  test("a lone star or underscore that opens nothing stays as it is", () => {
    for (const text of ["2*3 is 6", "all *.ts files", "a * b", "my_var"]) expect(open(text)).toEqual(parseInline(text));
  });

  test("a text whose markers are all closed parses as it does finished", () => {
    const sentence = "Ran `npm test` in **packages/1**: 41 passed, _2 failed_ (see https://example.com/runs/1).";
    expect(open(sentence)).toEqual(parseInline(sentence));
  });

  test("streamed in any chunks, open parses and finished ones taking over from each other, each parses as it does whole", () => {
    expectStreamsAsWhole(INLINE_PIECES, 30, 6, true);
  });
});
