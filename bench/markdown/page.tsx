/**
 * The page bench/markdown.ts loads in Chromium: both renderers, driven from the bench through
 * `window.markdownBench`. React DOM renders into a real document (the costs a phone pays: parse,
 * React's render and commit, the DOM), each update flushed at once.
 */
import type { ComponentType } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import { Markdown as Current } from "../../src/client/chat/markdown.tsx";
import { type ReplyText, StreamedText } from "../../src/client/chat/streamedText.ts";

export type MarkdownComponent = ComponentType<{ source: ReplyText; className?: string }>;
const renderers: Record<string, MarkdownComponent> = { current: Current };
/**
 * How the app of each renderer's version hands it a streaming reply: a StreamedText, or (before
 * it) a string built with `text += delta`.
 */
const takesStreamedText: Record<string, boolean> = { current: true };

/** The conversation's text column on a 390 px phone. */
const PHONE_COLUMN = 358;

function mount(name: string, width?: number) {
  const Renderer = renderers[name];
  if (!Renderer) throw new Error(`no renderer ${name}`);
  const host = document.createElement("div");
  if (width) host.style.width = `${width}px`;
  document.body.replaceChildren(host);
  const root = createRoot(host);
  return {
    render(source: ReplyText) {
      flushSync(() => root.render(<Renderer source={source} className="text-[15px]" />));
    },
    host,
    html: () => host.innerHTML,
    unmount: () => root.unmount(),
  };
}

/**
 * Main-thread ms to render `source` once into an empty root; `laidOut`: with style and layout (see
 * streamLaidOut).
 */
function renderOnce(name: string, source: string, laidOut = false): number {
  const view = mount(name, laidOut ? PHONE_COLUMN : undefined);
  const started = performance.now();
  view.render(source);
  if (laidOut) void view.host.offsetHeight;
  const took = performance.now() - started;
  view.unmount();
  return took;
}

/**
 * `source` cut into `deltas` pieces, as the app of `name`'s version hands each version of the
 * growing reply to the renderer (a new text per delta).
 */
function growing(name: string, source: string, deltas: number): Iterable<ReplyText> {
  const step = Math.ceil(source.length / deltas);
  const pieces: string[] = [];
  for (let from = 0; from < source.length; from += step) pieces.push(source.slice(from, from + step));
  const streamed = takesStreamedText[name] ?? false;
  return {
    *[Symbol.iterator]() {
      let text: ReplyText = streamed ? StreamedText.EMPTY : "";
      for (const piece of pieces) {
        text = typeof text === "string" ? text + piece : text.append(piece);
        yield text;
      }
    },
  };
}

/**
 * Main-thread ms to render `source` growing in `deltas` steps, each step a render as a delta would
 * cause, with the text built as that version of the app builds it (growing): building it is timed
 * too, as the app pays for it. Then the finished reply, once, as the app renders its response.
 */
function stream(name: string, source: string, deltas: number): number {
  const view = mount(name);
  const texts = growing(name, source, deltas);
  const started = performance.now();
  for (const text of texts) view.render(text);
  // The reply finished: the app's `chat:response` hands over the whole text as a string.
  view.render(source);
  const took = performance.now() - started;
  // Not timed: the streamed page must be the page one render of the whole text gives.
  const streamed = view.html();
  view.unmount();
  const whole = mount(name);
  whole.render(source);
  const once = whole.html();
  whole.unmount();
  if (streamed !== once) throw new Error(`${name}: the streamed render differs from one render of the whole text`);
  return took;
}

/**
 * As `stream`, with the browser's style and layout after each render (reading the height forces
 * them), on a page with the app's stylesheet: a phone pays them for every delta it paints. Also
 * the mean per delta over the last 100, where the reply is longest.
 */
function streamLaidOut(name: string, source: string, deltas: number): { total: number; lastPerDelta: number } {
  const view = mount(name, PHONE_COLUMN);
  let total = 0;
  let last = 0;
  let lastCount = 0;
  let index = 0;
  const count = Math.ceil(source.length / Math.ceil(source.length / deltas));
  for (const text of growing(name, source, deltas)) {
    const started = performance.now();
    view.render(text);
    void view.host.offsetHeight;
    const took = performance.now() - started;
    total += took;
    if (index++ >= count - 100) {
      last += took;
      lastCount++;
    }
  }
  view.unmount();
  return { total, lastPerDelta: last / Math.max(1, lastCount) };
}

/**
 * Called by the entry bench/markdown.ts generates, with the renderer it took from git (the
 * baseline is not in the tree, so this file cannot import it).
 */
export function install(
  baseline: MarkdownComponent | ComponentType<{ source: string; className?: string }>,
  baselineTakesStreamedText: boolean,
): void {
  // Handed only strings unless it takes a StreamedText (growing).
  renderers.baseline = baseline as MarkdownComponent;
  takesStreamedText.baseline = baselineTakesStreamedText;
  Object.assign(window, { markdownBench: { renderOnce, stream, streamLaidOut } });
}
