/**
 * Inline Markdown: emphasis, strike, code spans, links, autolinks, entities, line breaks.
 *
 * Linear in the text's length. A naive parser looks ahead for each opener's closer, so a reply
 * with many unmatched markers (`*a *a *a …`, `[a [a …`) cost O(n²): 7.8 s for 100 KB on this
 * machine. Here every look-ahead is either precomputed in one pass (bracket and parenthesis
 * pairs, backtick runs) or remembered between openers (emphasis closers), so each character is
 * looked at a bounded number of times per nesting level (at most 13 levels).
 */

export type Inline =
  | { type: "text"; text: string }
  | { type: "code"; text: string }
  | { type: "strong" | "em" | "del"; children: Inline[] }
  | { type: "link"; href: string; children: Inline[] }
  | { type: "break" };

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/**
 * The answers for the URLs seen last: a streaming paragraph is parsed again on every delta, and
 * parsing its links' URLs again each time cost more than the rest of the paragraph.
 */
const checked = new Map<string, string | null>();
const CHECKED_MAX = 256;

/** The URL if it is absolute http(s) or mailto; otherwise null (javascript:, data:, relative…). */
export function safeHref(raw: string): string | null {
  const known = checked.get(raw);
  if (known !== undefined) return known;
  const href = checkHref(raw);
  if (checked.size >= CHECKED_MAX) checked.clear();
  checked.set(raw, href);
  return href;
}

function checkHref(raw: string): string | null {
  const trimmed = raw.trim().replace(/^<|>$/g, "");
  // Browsers ignore ASCII control characters and whitespace inside schemes ("java\tscript:"): refuse them all.
  for (const ch of trimmed) {
    const code = ch.charCodeAt(0);
    if (code < 0x21 || code === 0x7f || /\s/.test(ch)) return null;
  }
  try {
    const url = new URL(trimmed);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

// The entities replies actually contain; any other name stays as written.
const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  copy: "©",
  reg: "®",
  trade: "™",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  laquo: "«",
  raquo: "»",
  bull: "•",
  middot: "·",
  times: "×",
  divide: "÷",
  plusmn: "±",
  deg: "°",
  le: "≤",
  ge: "≥",
  ne: "≠",
  larr: "←",
  rarr: "→",
  uarr: "↑",
  darr: "↓",
  harr: "↔",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  sect: "§",
  para: "¶",
};

const ENTITY = /&(?:#(\d{1,7})|#[xX]([\da-fA-F]{1,6})|([a-zA-Z][a-zA-Z\d]{1,31}));/y;

/** The character an entity at `at` stands for, and its length; null when it is not one. */
function entityAt(text: string, at: number): { char: string; length: number } | null {
  ENTITY.lastIndex = at;
  const match = ENTITY.exec(text);
  if (!match) return null;
  const [whole, decimal, hex, name] = match;
  if (name !== undefined) {
    const char = NAMED_ENTITIES[name];
    return char === undefined ? null : { char, length: whole.length };
  }
  const code = decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex ?? "", 16);
  // CommonMark: invalid code points become U+FFFD, never a control character or a surrogate.
  const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
  return { char: valid ? String.fromCodePoint(code) : "\ufffd", length: whole.length };
}

const ESCAPABLE = /[\\`*_{}[\]()#+\-.!|~<>"'&]/;
const BARE_URL = /https?:\/\/[^\s<>"]+/y;
const WWW_URL = /www\.[^\s<>"]*[\p{L}\p{N}][^\s<>"]*/uy;
const AUTOLINK = /<((?:https?:\/\/|mailto:)[^\s<>]+)>/y;
const WORD_CHAR = /[\p{L}\p{N}]/u;
/** What ends an autolink's run (`<…>`) and a bare URL's: until one comes, more text may extend it. */
const AUTOLINK_STOP = /[\s<>]/;
const URL_STOP = /[\s<>"]/;
/** Characters none of parseInline's cases starts on (a link may start at `h`, `H` or `w`). */
const PLAIN_RUN = /[^\\\n&`![<hHw*_~]+/y;

/** The pairs and runs a text's look-aheads need, computed once per text on first use. */
class Lookahead {
  // Maps, not typed arrays sized to the text: most texts have few pairs, and a typed array per
  // paragraph cost more to allocate in Chromium than the whole parse of it.
  private brackets: Map<number, number> | null = null;
  private parens: Map<number, number> | null = null;
  private runs: Map<number, number[]> | null = null;
  // Emphasis closers, per marker: the last answer (from → closer), and the first `from` known to have none.
  private lastCloser: Map<string, { from: number; at: number }> | null = null;
  private noCloserFrom: Map<string, number> | null = null;

  constructor(private readonly text: string) {}

  /** Backtick runs by length, each list in ascending position. */
  private backtickRuns(): Map<number, number[]> {
    if (this.runs) return this.runs;
    const runs = new Map<number, number[]>();
    const { text } = this;
    for (let i = 0; i < text.length; i++) {
      if (text[i] !== "`") continue;
      let end = i;
      while (text[end] === "`") end++;
      const list = runs.get(end - i) ?? [];
      list.push(i);
      runs.set(end - i, list);
      i = end - 1;
    }
    this.runs = runs;
    return runs;
  }

  /**
   * Where the code span opened by the run of `length` backticks at `at` closes: the next run of
   * exactly that length (a longer or shorter run inside is part of the code), or -1.
   */
  codeSpanEnd(at: number, length: number): number {
    const list = this.backtickRuns().get(length);
    if (!list) return -1;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] ?? 0) <= at) lo = mid + 1;
      else hi = mid;
    }
    return list[lo] ?? -1;
  }

  /**
   * Every `opener` matched to its `closer` (nested pairs allowed, escaped ones skipped) in one pass
   * with a stack. Brackets skip code spans (a `]` in code closes nothing); parentheses (link
   * destinations) do not span lines.
   */
  private pairs(opener: "[" | "(", closer: "]" | ")"): Map<number, number> {
    const { text } = this;
    const pairs = new Map<number, number>();
    let open: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === "\\") i++;
      else if (ch === opener) open.push(i);
      else if (ch === closer) {
        const at = open.pop();
        if (at !== undefined) pairs.set(at, i);
      } else if (ch === "\n" && opener === "(") open = [];
      else if (ch === "`" && opener === "[") {
        let end = i;
        while (text[end] === "`") end++;
        const close = this.codeSpanEnd(i, end - i);
        if ((close === -1 || close + (end - i) >= text.length) && this.openSpan === -1) this.openSpan = i;
        i = close === -1 ? end - 1 : close + (end - i) - 1;
      }
    }
    return pairs;
  }

  /**
   * Where the first backtick run that pairing brackets read as literal (no closing run yet), or as
   * a code span whose closing run ends the text, starts; -1 if none. More text may turn it into a
   * code span, or a longer one, and so pair the brackets after it differently.
   */
  private openSpan = -1;

  /** Could more text pair the brackets before `at` differently? */
  bracketsMayChangeBefore(at: number): boolean {
    this.brackets ??= this.pairs("[", "]");
    return this.openSpan !== -1 && this.openSpan < at;
  }

  /** The `]` that closes the `[` at `at`, or -1. */
  closeBracket(at: number): number {
    this.brackets ??= this.pairs("[", "]");
    return this.brackets.get(at) ?? -1;
  }

  /** The `)` that closes the `(` at `at` on the same line, or -1. */
  closeParen(at: number): number {
    this.parens ??= this.pairs("(", ")");
    return this.parens.get(at) ?? -1;
  }

  /** The first `marker` after `from` that can close emphasis (not after a space or a backslash), or -1. */
  closeEmphasis(marker: string, from: number): number {
    this.lastCloser ??= new Map();
    this.noCloserFrom ??= new Map();
    const none = this.noCloserFrom.get(marker);
    if (none !== undefined && from >= none) return -1;
    const last = this.lastCloser.get(marker);
    // Every candidate between `last.from` and `last.at` was rejected for reasons that do not depend on `from`.
    if (last && from >= last.from && from < last.at) return last.at;
    const { text } = this;
    let index = text.indexOf(marker, from);
    while (index !== -1) {
      const before = text[index - 1];
      if (before !== undefined && before !== " " && before !== "\\" && index > from) {
        this.lastCloser.set(marker, { from, at: index });
        return index;
      }
      index = text.indexOf(marker, index + 1);
    }
    this.noCloserFrom.set(marker, Math.min(from, none ?? from));
    return -1;
  }
}

/** Trailing punctuation belongs to the sentence, not the URL (a closing parenthesis only if unbalanced). */
function trimUrl(url: string): string {
  let end = url.length;
  let opens = 0;
  let closes = 0;
  for (const ch of url) {
    if (ch === "(") opens++;
    else if (ch === ")") closes++;
  }
  while (end > 0 && /[.,:;!?'")\]*_~]/.test(url[end - 1] ?? "")) {
    if (url[end - 1] === ")") {
      if (opens >= closes) break;
      closes--;
    }
    end--;
  }
  return url.slice(0, end);
}

/**
 * Whether an opening `marker` with no closer yet, in a streaming text, is taken to open emphasis
 * that runs to the end. A double marker, or a single one at a word's start before a letter or
 * digit: `2*3`, `*.ts` and `a_b` stay as they are.
 */
function opensToEnd(marker: string, before: string | undefined, after: string): boolean {
  if (marker.length === 2) return true;
  return (before === undefined || /[\s(["']/.test(before)) && /[\p{L}\p{N}`]/u.test(after);
}

/**
 * Parses inline Markdown. Never throws. `open`: the text is a streaming reply's end, which more
 * text will follow (see scan).
 */
export function parseInline(text: string, depth = 0, open = false): Inline[] {
  return scan(text, depth, 0, [], "", false, open).nodes;
}

/**
 * A text's inline parse, and where a parse of a longer text that starts with it can take over: a
 * streaming paragraph grows at its end, and parsing it whole on every delta made each delta cost
 * as much as the paragraph.
 */
export interface InlineParse {
  text: string;
  nodes: Inline[];
  /**
   * Every decision before `at` holds for any text that starts with `text`: the nodes before
   * `nodes` and the pending run of text `buffer` are what a parse of such a text has there.
   */
  resume: { at: number; nodes: number; buffer: string };
}

/**
 * Parses `text` at the top level, taking over from `previous` where `text` starts with its text.
 * The nodes before the resume point are `previous`'s own objects (so their rendering can be kept).
 */
export function parseInlineFrom(text: string, previous: InlineParse | null, open = false): InlineParse {
  return resume(text, previous !== null && continues(text, previous) ? previous : null, open);
}

/**
 * Does `text` start with `start`? Not `text.startsWith(start)`: V8 compares that character by
 * character (3–8 ms over a 20 KB reply's 500 deltas); string equality is a memory compare.
 */
export function continuesText(text: string, start: string): boolean {
  return text.length >= start.length && text.slice(0, start.length) === start;
}

/** Does `text` start with `previous`'s text? */
function continues(text: string, previous: InlineParse): boolean {
  return continuesText(text, previous.text);
}

/** Parses `text` from `previous`'s resume point (a parse of a text it starts with), or whole. */
function resume(text: string, previous: InlineParse | null, open = false): InlineParse {
  const parse = previous
    ? scan(
        text,
        0,
        previous.resume.at,
        previous.nodes.slice(0, previous.resume.nodes),
        previous.resume.buffer,
        true,
        open,
      )
    : scan(text, 0, 0, [], "", true, open);
  return { text, nodes: parse.nodes, resume: parse.resume };
}

/**
 * The last few parses of long texts. A streaming paragraph (or list item) is parsed again on every
 * delta, a little longer each time: the new parse takes over from the last one where its decisions
 * still hold, instead of reading the whole text again. A text shorter than RESUMABLE_LENGTH is
 * parsed whole: an agent's usual paragraph parses in a few microseconds, about what looking it up
 * here costs (measured side by side: the ordinary reply streamed no faster).
 */
const recentParses: InlineParse[] = [];
const RECENT_PARSES = 4;
const RESUMABLE_LENGTH = 200;

/**
 * Parses `text`, taking over from the longest recent parse of a text it starts with. (A parse's
 * nodes before its resume point come before any decision `open` makes, so parses in either mode
 * serve each other.)
 */
export function parseInlineRecent(text: string, open = false): Inline[] {
  if (text.length < RESUMABLE_LENGTH) return parseInline(text, 0, open);
  let from: InlineParse | null = null;
  for (const known of recentParses)
    if ((!from || known.text.length > from.text.length) && continues(text, known)) from = known;
  const parse = resume(text, from, open);
  const replaced = from ? recentParses.indexOf(from) : -1;
  if (replaced !== -1) recentParses.splice(replaced, 1);
  else if (recentParses.length >= RECENT_PARSES) recentParses.shift();
  recentParses.push(parse);
  return parse.nodes;
}

/**
 * The parser, from `from` with the nodes and pending text a parse had there. With `track`, it also
 * finds where a longer text could take over: the last position before the first decision that
 * read up to the text's end (a marker, bracket, backtick run, URL or entity there may still be
 * closed or grow) or found no closer (one may still arrive).
 */
function scan(
  text: string,
  depth: number,
  from: number,
  out: Inline[],
  pending: string,
  track: boolean,
  open = false,
): { nodes: Inline[]; resume: InlineParse["resume"] } {
  const look = new Lookahead(text);
  let buffer = pending;
  const flush = () => {
    if (buffer) out.push({ type: "text", text: buffer });
    buffer = "";
  };
  const nested = (inner: string, innerOpen = false): Inline[] =>
    depth > 12 ? [{ type: "text", text: inner }] : parseInline(inner, depth + 1, innerOpen);
  const atWordStart = (at: number) => at === 0 || /[\s(*_~]/.test(text[at - 1] ?? "");
  /**
   * Open, whether the bracket at `at` (closed at `close`, or -1) may still become a link or image
   * when more text comes: its text, or the `(` after its `]`, is still to come. Only at a word's
   * start: `arr[0` stays as it is.
   */
  const linkStillComing = (at: number, close: number) =>
    open && atWordStart(at) && (close === -1 || close + 1 === length);
  const { length } = text;
  // Set once a decision might change as the text grows; the resume point stays where it was.
  let settled = track;
  let resumeAt = from;
  let resumeNodes = out.length;
  let resumeBuffer = buffer;
  /** Marks the decision at this position as one that more text could change, when `open`. */
  const unsure = (open: boolean) => {
    if (open) settled = false;
  };

  let i = from;
  while (i < length) {
    if (settled) {
      resumeAt = i;
      resumeNodes = out.length;
      resumeBuffer = buffer;
    }
    const ch = text[i] ?? "";

    if (ch === "\\") {
      const next = text[i + 1];
      unsure(next === undefined);
      if (next === "\n") {
        flush();
        out.push({ type: "break" });
        i += 2;
        continue;
      }
      if (next !== undefined && ESCAPABLE.test(next)) {
        buffer += next;
        i += 2;
        continue;
      }
    }

    if (ch === "\n") {
      buffer = buffer.replace(/ +$/, "");
      flush();
      out.push({ type: "break" });
      i++;
      continue;
    }

    if (ch === "&") {
      const entity = entityAt(text, i);
      if (entity) {
        buffer += entity.char;
        i += entity.length;
        continue;
      }
      // The longest entity is 33 characters: one that close to the end may still be completed.
      unsure(length - i <= 40);
    }

    if (ch === "`") {
      let runEnd = i;
      while (text[runEnd] === "`") runEnd++;
      const run = runEnd - i;
      const end = look.codeSpanEnd(i, run);
      // No closing run yet (one may still arrive), or one that may still grow.
      unsure(end === -1 || end + run >= length);
      if (end !== -1 || open) {
        // Open: the closing run is still to come, so the span runs to the end (nothing yet: the
        // backticks wait for it), rather than show as backticks and text that turn into code.
        const close = end === -1 ? length : end;
        flush();
        let code = text.slice(runEnd, close).replace(/\n/g, " ");
        if (code.startsWith(" ") && code.endsWith(" ") && code.trim()) code = code.slice(1, -1);
        if (end !== -1 || code.trim()) out.push({ type: "code", text: code });
        i = end === -1 ? length : end + run;
        continue;
      }
      buffer += text.slice(i, runEnd);
      i = runEnd;
      continue;
    }

    if (settled && (ch === "[" || ch === "!")) {
      const open = ch === "[" ? i : i + 1;
      unsure(open >= length);
      if (text[open] === "[") {
        const close = look.closeBracket(open);
        // Brackets pair around code spans, which more text may close.
        unsure(close === -1 || close + 1 >= length || look.bracketsMayChangeBefore(close));
        if (close !== -1 && text[close + 1] === "(") unsure(look.closeParen(close + 1) === -1);
      }
    }

    if (ch === "!" && text[i + 1] === "[") {
      // Images are not loaded (privacy, layout): show them as a link to the image.
      const close = look.closeBracket(i + 1);
      if (close !== -1 && text[close + 1] === "(") {
        const end = look.closeParen(close + 1);
        // Open, an image whose address is still being written shows what its link will say.
        if (end !== -1 || open) {
          const alt = text.slice(i + 2, close) || "image";
          const href = end === -1 ? null : safeHref(text.slice(close + 2, end).split(/\s+"/)[0] ?? "");
          const label: Inline = { type: "text", text: end === -1 || href ? `🖼 ${alt}` : alt };
          flush();
          out.push(href ? { type: "link", href, children: [label] } : label);
          i = end === -1 ? length : end + 1;
          continue;
        }
      }
      if (linkStillComing(i, close)) {
        // Open, an image whose text is still being written, or whose address may come next, shows
        // what its link will say; `![` alone waits for its text.
        const alt = text.slice(i + 2, close === -1 ? length : close);
        flush();
        if (alt || close !== -1) out.push({ type: "text", text: `🖼 ${alt || "image"}` });
        i = length;
        continue;
      }
    }

    if (ch === "[") {
      const close = look.closeBracket(i);
      if (close !== -1 && text[close + 1] === "(") {
        const end = look.closeParen(close + 1);
        // Open, a link whose address is still being written shows its text (closed, so not open),
        // as one whose address is refused does.
        if (end !== -1 || open) {
          const label = text.slice(i + 1, close);
          const destination =
            end === -1
              ? null
              : (text
                  .slice(close + 2, end)
                  .trim()
                  .split(/\s+(?=["'(])/)[0] ?? "");
          const href = destination === null ? null : safeHref(destination);
          flush();
          if (href) out.push({ type: "link", href, children: nested(label) });
          else out.push(...nested(label));
          i = end === -1 ? length : end + 1;
          continue;
        }
      }
      if (linkStillComing(i, close)) {
        // Open, a link whose text is still being written (or whose address may come next) shows
        // that text, as it will once its address arrives, not a `[` that then disappears. One that
        // turns out not to be a link (`[WIP]`) shows its brackets when the next character does not
        // open an address.
        flush();
        out.push(...(close === -1 ? nested(text.slice(i + 1), true) : nested(text.slice(i + 1, close))));
        i = length;
        continue;
      }
    }

    if (ch === "<") {
      AUTOLINK.lastIndex = i;
      const auto = AUTOLINK.exec(text);
      const href = auto ? safeHref(auto[1] ?? "") : null;
      if (auto && href) {
        flush();
        out.push({ type: "link", href, children: [{ type: "text", text: auto[1] ?? "" }] });
        i += auto[0].length;
        continue;
      }
      // Not an autolink yet, unless its `>` may still come.
      if (!auto && settled) unsure(!AUTOLINK_STOP.test(text.slice(i + 1)));
    }

    if ((ch === "h" || ch === "H" || ch === "w") && atWordStart(i)) {
      const pattern = ch === "w" ? WWW_URL : BARE_URL;
      pattern.lastIndex = i;
      const bare = pattern.exec(text);
      // A URL that runs to the end may go on; a word that runs to the end may still become one.
      if (settled) unsure(bare ? i + bare[0].length >= length : !URL_STOP.test(text.slice(i)));
      if (bare) {
        const url = trimUrl(bare[0]);
        // As in GitHub's Markdown, a www. link is http (the site may redirect); it needs a dot after www.
        const www = ch === "w";
        const href = !www ? safeHref(url) : url.includes(".", 4) ? safeHref(`http://${url}`) : null;
        if (href) {
          flush();
          out.push({ type: "link", href, children: [{ type: "text", text: url }] });
          i += url.length;
          continue;
        }
      }
    }

    if (ch === "*" || ch === "_" || ch === "~") {
      const double = text[i + 1] === ch;
      const marker = double ? ch + ch : ch;
      const after = text[i + marker.length];
      const before = text[i - 1];
      const intraword = ch === "_" && before !== undefined && WORD_CHAR.test(before);
      unsure(i + marker.length >= length);
      // Open, a marker at the very end waits for what follows it (a `~` may become `~~`).
      if (open && after === undefined) {
        i = length;
        continue;
      }
      if (ch === "~" && !double) {
        buffer += ch;
        i++;
        continue;
      }
      if (after !== undefined && after !== " " && after !== "\n" && !intraword) {
        const end = look.closeEmphasis(marker, i + marker.length);
        // No closer yet, or one whose next characters are still to come.
        unsure(end === -1 || end + marker.length >= length);
        if (end === -1 && open && opensToEnd(marker, before, after)) {
          // Its closer is still to come: the emphasis runs to the end, as it will once closed.
          flush();
          const type = ch === "~" ? "del" : double ? "strong" : "em";
          out.push({ type, children: nested(text.slice(i + marker.length), true) });
          i = length;
          continue;
        }
        const closingNext = end === -1 ? undefined : text[end + marker.length];
        const closesIntraword = ch === "_" && closingNext !== undefined && WORD_CHAR.test(closingNext);
        if (end !== -1 && !closesIntraword && !(!double && text[end + 1] === ch && text[end - 1] !== ch)) {
          flush();
          const inner = text.slice(i + marker.length, end);
          const type = ch === "~" ? "del" : double ? "strong" : "em";
          out.push({ type, children: nested(inner) });
          i = end + marker.length;
          continue;
        }
      }
      buffer += marker;
      i += marker.length;
      continue;
    }

    // A run of characters that start nothing is copied at once, not one by one.
    PLAIN_RUN.lastIndex = i + 1;
    const run = PLAIN_RUN.exec(text);
    const end = run ? i + 1 + run[0].length : i + 1;
    buffer += text.slice(i, end);
    i = end;
  }
  if (settled) {
    resumeAt = i;
    resumeNodes = out.length;
    resumeBuffer = buffer;
  }
  flush();
  return { nodes: out, resume: { at: resumeAt, nodes: resumeNodes, buffer: resumeBuffer } };
}
