import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type InlineParse, parseInline, parseInlineFrom } from "./inline.ts";

/** Parses each longer prefix of `text` (cut after each chunk) from the parse of the one before. */
function streamInline(
  text: string,
  chunks: readonly number[],
  check: (next: InlineParse, previous: InlineParse | null) => void,
) {
  let previous: InlineParse | null = null;
  let end = 0;
  for (let k = 0; end < text.length; k++) {
    end = Math.min(text.length, end + (chunks[k % chunks.length] ?? 1));
    const next = parseInlineFrom(text.slice(0, end), previous);
    check(next, previous);
    previous = next;
  }
  return previous;
}

describe("parseInlineFrom (a streaming paragraph parsed from where its last parse can be trusted)", () => {
  test("any text of inline Markdown's pieces, streamed in any chunks, parses as the whole text does", () => {
    // Pieces that open, close, nest and break every construct, and text that ends inside one.
    const piece = fc.constantFrom(
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
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1 }),
        (pieces, chunks) => {
          const text = pieces.join("");
          streamInline(text, chunks, (next, previous) => {
            expect(next.nodes).toEqual(parseInline(next.text));
            // The nodes before the point it took over from are the previous parse's own objects.
            if (previous && next.text.startsWith(previous.text))
              for (let n = 0; n < previous.resume.nodes; n++) expect(next.nodes[n]).toBe(previous.nodes[n] as never);
          });
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("links, code spans and emphasis that overlap, streamed in any chunks, parse as the whole text does", () => {
    // Brackets pair around code spans, so a backtick that arrives late can undo a link before it.
    const piece = fc.constantFrom(
      " ",
      "a",
      "*",
      "_",
      "`",
      "``",
      "[",
      "]",
      "(",
      ")",
      "[a](https://a.b)",
      "](https://a.b)",
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 24 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1 }),
        (pieces, chunks) => {
          streamInline(pieces.join(""), chunks, (next) => expect(next.nodes).toEqual(parseInline(next.text)));
        },
      ),
      { numRuns: 3000 },
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
