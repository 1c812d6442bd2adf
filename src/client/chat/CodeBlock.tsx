import { Fragment, memo, useEffect, useState } from "react";
import { copyText } from "../ui/clipboard.ts";
import type { Token } from "../ui/highlight.ts";
import { highlighter } from "../ui/highlighter.ts";
import { TOKEN_STYLES } from "../ui/tokenStyles.ts";
import { createSettler } from "./settle.ts";

/**
 * How long a block's text must stay the same before it is coloured: a block that is still
 * streaming changes every frame and stays plain, so colouring never adds to a streaming reply's
 * cost; a finished one is coloured once (the highlighter is a chunk loaded on first use).
 */
const SETTLE_MS = 250;

const settler = createSettler(SETTLE_MS);

function useColouredLines(code: string, lang: string | null): Token[][] | null {
  const [coloured, setColoured] = useState<{ code: string; lang: string; lines: Token[][] } | null>(null);
  const [block] = useState(() => ({}));
  useEffect(() => {
    if (!lang) return;
    let live = true;
    settler.wait(block, () => {
      void highlighter.optional().then((loaded) => {
        if (live && loaded) setColoured({ code, lang, lines: loaded.highlightFence(code, lang) });
      });
    });
    return () => {
      live = false;
      settler.cancel(block);
    };
  }, [code, lang, block]);
  return coloured && coloured.code === code && coloured.lang === lang ? coloured.lines : null;
}

const headerButton =
  "inline-flex h-11 min-w-11 items-center justify-center gap-1.5 rounded-md px-2 text-xs hover:bg-muted hover:text-foreground focus-visible:outline-2 focus-visible:outline-ring";

/**
 * The block's header: its language, the wrap toggle and Copy. It does not take the code (Copy reads
 * what the block shows), so a delta that grows a streaming block re-renders only its text.
 */
const CodeHeader = memo(function CodeHeader({
  lang,
  wrap,
  onWrap,
}: {
  lang: string | null;
  wrap: boolean;
  onWrap: (wrap: boolean) => void;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="md-codeblock-header">
      <span className="md-codeblock-lang">{lang ?? ""}</span>
      <button
        type="button"
        className={headerButton}
        aria-pressed={wrap}
        title={wrap ? "Long lines wrap" : "Long lines scroll sideways"}
        onClick={() => onWrap(!wrap)}
      >
        {wrap ? "Wrapped" : "Wrap"}
      </button>
      <button
        type="button"
        className={headerButton}
        aria-label="Copy"
        onClick={async (event) => {
          // The code as shown (coloured or not, its text is the block's text).
          const code = event.currentTarget.closest(".md-codeblock")?.querySelector("pre code")?.textContent ?? "";
          setCopied(await copyText(code));
          setTimeout(() => setCopied(false), 1_500);
        }}
      >
        {/* Text, no icon: a long reply has hundreds of code blocks, and each node costs its render. */}
        <span aria-live="polite">{copied ? "Copied" : "Copy"}</span>
      </button>
    </div>
  );
});

/**
 * A fenced code block: its language, a wrap toggle (long lines scroll sideways by default, and the
 * toggle says which), Copy, and syntax colours once its text has settled. The code stays text,
 * never HTML: the colours are spans around the same characters.
 */
export function CodeBlock({ code, lang }: { code: string; lang: string | null }) {
  const [wrap, setWrap] = useState(false);
  const lines = useColouredLines(code, lang);
  return (
    <div className="md-codeblock">
      <CodeHeader lang={lang} wrap={wrap} onWrap={setWrap} />
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <pre tabIndex={0} className={wrap ? "wrap" : undefined} data-highlighted={lines ? "true" : undefined}>
        <code>
          {lines
            ? lines.map((line, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a line's position is its identity
                <Fragment key={index}>
                  {index > 0 ? "\n" : null}
                  {line.map((token, at) =>
                    token.kind === "plain" ? (
                      token.text
                    ) : (
                      // biome-ignore lint/suspicious/noArrayIndexKey: tokens of a settled line never move
                      <span key={at} data-token={token.kind} className={TOKEN_STYLES[token.kind]}>
                        {token.text}
                      </span>
                    ),
                  )}
                </Fragment>
              ))
            : code}
        </code>
      </pre>
    </div>
  );
}
