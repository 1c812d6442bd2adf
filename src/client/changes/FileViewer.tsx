/** A file of the session's folder, read-only, with line numbers; coloured once the highlighter's chunk has loaded. */
import { useEffect, useMemo, useState } from "react";
import type { ServerPayload } from "../../shared/messages.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import type { Token } from "../ui/highlight.ts";
import { highlighter } from "../ui/highlighter.ts";
import { RetryIcon, SpinnerIcon } from "../ui/icons.tsx";
import { TOKEN_STYLES } from "../ui/tokenStyles.ts";
import { WrapToggle } from "../ui/WrapToggle.tsx";
import { useRequest } from "./useRequest.ts";

/** Lines drawn at first; the rest on "Show all" (a 1 MB file is tens of thousands of lines). */
const FIRST_LINES = 1_500;

/** The line-number column by digits (literal classes: Tailwind finds them in the source). */
const NUMBER_WIDTHS = ["w-[3ch]", "w-[3ch]", "w-[4ch]", "w-[5ch]", "w-[6ch]", "w-[7ch]", "w-[8ch]", "w-[9ch]"];

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function FileViewer({ sessionId, path }: { sessionId: string; path: string }) {
  const { loaded, retry } = useRequest("file:read", { sessionId, path }, "file:content");
  if (loaded.state === "loading") {
    return (
      <p className="flex items-center gap-2 px-4 py-6 text-muted-foreground text-sm" role="status">
        <SpinnerIcon className="size-4" /> Opening {path}…
      </p>
    );
  }
  if (loaded.state === "error") {
    const retryable = loaded.error.code === "TIMEOUT" || loaded.error.code === "DISCONNECTED";
    return (
      <div className="px-4 py-4" data-file-error={loaded.error.code}>
        <ErrorBox code={loaded.error.code} message={loaded.error.message}>
          {retryable ? (
            <Button size="sm" className="mt-1 h-9 gap-1.5 text-xs" onClick={retry}>
              <RetryIcon className="size-4" /> Try again
            </Button>
          ) : null}
        </ErrorBox>
      </div>
    );
  }
  return <FileText file={loaded.value} />;
}

function FileText({ file }: { file: ServerPayload<"file:content"> }) {
  const [all, setAll] = useState(false);
  const [wrap, setWrap] = useState(false);
  const [colour, setColour] = useState<((text: string, path: string) => Token[][]) | null>(null);
  // The highlighter is its own chunk: the text shows at once, the colours follow.
  useEffect(() => {
    let live = true;
    void highlighter.optional().then((loaded) => {
      if (live && loaded) setColour(() => loaded.highlight);
    });
    return () => {
      live = false;
    };
  }, []);
  const lines = useMemo<Token[][]>(() => {
    const all = colour
      ? colour(file.content, file.path)
      : file.content.split("\n").map((text): Token[] => (text ? [{ text, kind: "plain" }] : []));
    // A final newline ends the last line; it does not start another.
    if (all.length > 1 && all[all.length - 1]?.length === 0) all.pop();
    return all;
  }, [colour, file.content, file.path]);
  const shown = all ? lines : lines.slice(0, FIRST_LINES);
  const digits = String(lines.length).length;
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex flex-wrap items-center justify-between gap-x-2 border-b px-4 py-1 text-muted-foreground text-xs">
        <span>
          {lines.length} {lines.length === 1 ? "line" : "lines"} · {formatSize(file.size)} · read-only
          {colour ? null : <span className="sr-only"> (colours loading)</span>}
        </span>
        <WrapToggle wrap={wrap} onChange={setWrap} />
      </div>
      {file.truncated ? (
        <p className="border-b bg-warning-surface px-4 py-2 text-warning text-xs" role="note">
          Only the first 1 MB of this {formatSize(file.size)} file is shown.
        </p>
      ) : null}
      <section
        className="min-h-0 flex-1 overflow-auto overscroll-contain bg-code"
        data-highlighted={colour ? "true" : "false"}
        aria-label={`Content of ${file.path}`}
        // Scrollable both ways: reachable by keyboard.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to scroll by keyboard
        tabIndex={0}
      >
        <pre
          className={cn(
            "min-w-full py-2 font-mono text-[12.5px] leading-5",
            wrap ? "whitespace-pre-wrap break-all" : "w-max",
          )}
        >
          {shown.map((tokens, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a line's number is its identity
            <div key={index} className="flex">
              <span
                aria-hidden="true"
                className={cn(
                  "sticky left-0 shrink-0 select-none bg-code pr-3 pl-2 text-right text-muted-foreground/70",
                  NUMBER_WIDTHS[Math.min(digits, NUMBER_WIDTHS.length - 1)],
                )}
              >
                {index + 1}
              </span>
              <code className="min-w-0 flex-1 pr-3">
                {tokens.length === 0
                  ? "\n"
                  : tokens.map((token, at) =>
                      token.kind === "plain" ? (
                        token.text
                      ) : (
                        // biome-ignore lint/suspicious/noArrayIndexKey: tokens never reorder
                        <span key={at} data-token={token.kind} className={TOKEN_STYLES[token.kind]}>
                          {token.text}
                        </span>
                      ),
                    )}
              </code>
            </div>
          ))}
        </pre>
        {lines.length > shown.length ? (
          <div className="px-4 py-3">
            <Button variant="outline" size="sm" className="h-11" onClick={() => setAll(true)}>
              Show all {lines.length} lines
            </Button>
          </div>
        ) : null}
      </section>
    </div>
  );
}
