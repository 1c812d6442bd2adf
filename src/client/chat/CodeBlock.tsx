import { useState } from "react";
import { copyText } from "../ui/clipboard.ts";

const headerButton =
  "inline-flex h-11 min-w-11 items-center justify-center gap-1.5 rounded-md px-2 text-xs hover:bg-muted hover:text-foreground focus-visible:outline-2 focus-visible:outline-ring";

/**
 * A fenced code block: its language, a wrap toggle (long lines scroll sideways by default, and the
 * toggle says which) and Copy. The code stays text, never HTML.
 */
export function CodeBlock({ code, lang }: { code: string; lang: string | null }) {
  const [wrap, setWrap] = useState(false);
  const [copied, setCopied] = useState(false);
  return (
    <div className="md-codeblock">
      <div className="md-codeblock-header">
        <span className="md-codeblock-lang">{lang ?? ""}</span>
        <button
          type="button"
          className={headerButton}
          aria-pressed={wrap}
          title={wrap ? "Long lines wrap" : "Long lines scroll sideways"}
          onClick={() => setWrap((on) => !on)}
        >
          {wrap ? "Wrapped" : "Wrap"}
        </button>
        <button
          type="button"
          className={headerButton}
          aria-label="Copy"
          onClick={async () => {
            setCopied(await copyText(code));
            setTimeout(() => setCopied(false), 1_500);
          }}
        >
          {/* Text, no icon: a long reply has hundreds of code blocks, and each node costs its render. */}
          <span aria-live="polite">{copied ? "Copied" : "Copy"}</span>
        </button>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <pre tabIndex={0} className={wrap ? "wrap" : undefined}>
        <code>{code}</code>
      </pre>
    </div>
  );
}
