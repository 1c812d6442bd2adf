import { describe, expect, test } from "bun:test";
import { addedText, lastCharacter, StreamedText } from "./streamedText.ts";

const streamed = (...deltas: string[]) => deltas.reduce((text, delta) => text.append(delta), StreamedText.EMPTY);

describe("a streamed text", () => {
  test("reads as the deltas joined, and knows its length, last character and whether it shows anything", () => {
    const text = streamed("Hello", ", ", "world", "\n");
    expect(String(text)).toBe("Hello, world\n");
    expect(text.length).toBe(13);
    expect(lastCharacter(text)).toBe("\n");
    expect(text.visible).toBe(true);
    expect(streamed(" ", "\n\t").visible).toBe(false);
    expect(lastCharacter(StreamedText.EMPTY)).toBe("");
    expect(streamed("a", "").length).toBe(1);
  });

  test("tells what a later version of itself adds, from its chunks", () => {
    const first = streamed("one ", "two ");
    const later = first.append("three ").append("four");
    expect(later.since(first)).toBe("three four");
    expect(later.since(later)).toBe("");
    expect(first.since(later)).toBeNull();
    expect(later.since(StreamedText.EMPTY)).toBe("one two three four");
  });

  test("two versions grown apart from one earlier version each keep their own text", () => {
    const base = streamed("shared ");
    const a = base.append("left");
    const b = base.append("right");
    expect(String(a)).toBe("shared left");
    expect(String(b)).toBe("shared right");
    expect(a.since(base)).toBe("left");
    // b copied base's chunks (a had grown from them): its chunks cannot tell, the strings can.
    expect(b.since(base)).toBeNull();
    expect(addedText(b, base)).toBe("right");
    // Not grown from one another: no answer from the chunks, so the strings are compared.
    expect(b.since(a)).toBeNull();
    expect(addedText(b, a)).toBeNull();
    expect(addedText(b.append(" more"), b)).toBe(" more");
  });

  test("streams started apart never share chunks, even from the empty text", () => {
    const a = streamed("x", "y");
    const b = streamed("p", "q");
    expect(String(a)).toBe("xy");
    expect(String(b)).toBe("pq");
    expect(String(StreamedText.EMPTY)).toBe("");
  });

  test("added text between strings and streamed texts is found by comparing, whichever kind each is", () => {
    const text = streamed("abc", "def");
    expect(addedText(text, "abc")).toBe("def");
    expect(addedText("abcdefg", text)).toBe("g");
    expect(addedText(streamed("abcdef", "!"), text)).toBe("!");
    expect(addedText("abX", text)).toBeNull();
    expect(addedText("abcdef", "abcdef")).toBe("");
  });
});
