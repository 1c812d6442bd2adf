import { useState } from "react";
import { Button } from "./button.tsx";
import { cn } from "./cn.ts";
import type { DiffLine } from "./diff.ts";
import { WrapToggle } from "./WrapToggle.tsx";

const LINE_STYLES: Record<DiffLine["kind"], string> = {
  del: "bg-red-50 text-red-900 dark:bg-red-950/50 dark:text-red-200",
  add: "bg-green-50 text-green-900 dark:bg-green-950/50 dark:text-green-200",
  same: "text-muted-foreground",
  gap: "text-muted-foreground",
};
const WORD_STYLES: Record<"del" | "add", string> = {
  del: "rounded-sm bg-red-200 text-red-950 dark:bg-red-800/70 dark:text-red-50",
  add: "rounded-sm bg-green-200 text-green-950 dark:bg-green-800/70 dark:text-green-50",
};
const LINE_MARKS: Record<DiffLine["kind"], string> = { del: "-", add: "+", same: " ", gap: " " };
const LINE_SR: Record<DiffLine["kind"], string> = { del: "Removed: ", add: "Added: ", same: "", gap: "" };

function LineText({ line }: { line: DiffLine }) {
  if (line.kind === "gap") return <>{line.text ? `⋯ ${line.text}` : "⋯ unchanged lines ⋯"}</>;
  if (!line.parts || (line.kind !== "del" && line.kind !== "add")) return <>{line.text || "\u00a0"}</>;
  const style = WORD_STYLES[line.kind];
  return (
    <>
      {line.parts.map((part, index) =>
        part.changed ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: a line's parts never reorder
          <mark key={index} data-word={line.kind} className={style}>
            {part.text}
          </mark>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: a line's parts never reorder
          <span key={index}>{part.text}</span>
        ),
      )}
    </>
  );
}

/**
 * Removed lines in red, added in green, the changed words of an edited line marked; long diffs cut
 * at `previewLines` with "Show all". With `wrapToggle`, long lines wrap or scroll sideways, and
 * the view says which.
 */
export function DiffView({
  lines,
  label,
  previewLines = 12,
  wrapToggle = false,
  className,
}: {
  lines: readonly DiffLine[];
  label: string;
  previewLines?: number;
  wrapToggle?: boolean;
  className?: string;
}) {
  const [all, setAll] = useState(false);
  const [wrap, setWrap] = useState(true);
  const shown = all ? lines : lines.slice(0, previewLines);
  const hidden = lines.length - shown.length;
  if (lines.length === 0) return <p className="text-muted-foreground text-sm">(empty)</p>;
  return (
    <div className={cn("space-y-1", className)}>
      {wrapToggle ? <WrapToggle wrap={wrap} onChange={setWrap} /> : null}
      <figure
        className={cn(
          "overflow-auto rounded-lg border bg-code py-1 font-mono text-[12.5px] leading-5",
          wrapToggle ? "max-h-[60dvh]" : "max-h-72",
        )}
      >
        <figcaption className="sr-only">{label}</figcaption>
        <div className={cn(!wrap && "w-max min-w-full")}>
          {shown.map((line, index) => (
            <div
              // biome-ignore lint/suspicious/noArrayIndexKey: lines repeat; their position is their identity
              key={index}
              data-diff={line.kind}
              className={cn(
                "flex px-2",
                wrap ? "whitespace-pre-wrap break-all" : "whitespace-pre",
                LINE_STYLES[line.kind],
                line.kind === "gap" && line.text && "mt-1 border-t pt-0.5 italic",
              )}
            >
              <span aria-hidden="true" className="w-4 shrink-0 select-none opacity-70">
                {LINE_MARKS[line.kind]}
              </span>
              <span className="min-w-0 flex-1">
                <span className="sr-only">{LINE_SR[line.kind]}</span>
                <LineText line={line} />
              </span>
            </div>
          ))}
        </div>
      </figure>
      {hidden > 0 || all ? (
        <Button variant="link" size="sm" className="h-8 px-0" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? "Show less" : `Show all (${lines.length} lines)`}
        </Button>
      ) : null}
    </div>
  );
}
