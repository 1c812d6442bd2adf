import { useState } from "react";
import { Button } from "./button.tsx";
import { cn } from "./cn.ts";
import type { DiffLine } from "./diff.ts";

const LINE_STYLES: Record<DiffLine["kind"], string> = {
  del: "bg-red-50 text-red-900 dark:bg-red-950/50 dark:text-red-200",
  add: "bg-green-50 text-green-900 dark:bg-green-950/50 dark:text-green-200",
  same: "text-muted-foreground",
  gap: "text-muted-foreground",
};
const LINE_MARKS: Record<DiffLine["kind"], string> = { del: "-", add: "+", same: " ", gap: " " };
const LINE_SR: Record<DiffLine["kind"], string> = { del: "Removed: ", add: "Added: ", same: "", gap: "" };

/** Removed lines in red, added in green; long ones cut at `previewLines` with "Show all". */
export function DiffView({
  lines,
  label,
  previewLines = 12,
}: {
  lines: readonly DiffLine[];
  label: string;
  previewLines?: number;
}) {
  const [all, setAll] = useState(false);
  const shown = all ? lines : lines.slice(0, previewLines);
  const hidden = lines.length - shown.length;
  if (lines.length === 0) return <p className="text-muted-foreground text-sm">(empty)</p>;
  return (
    <div className="space-y-1">
      <figure className="max-h-72 overflow-auto rounded-lg border bg-code py-1 font-mono text-[12.5px] leading-5">
        <figcaption className="sr-only">{label}</figcaption>
        {shown.map((line, index) => (
          <div
            // biome-ignore lint/suspicious/noArrayIndexKey: lines repeat; their position is their identity
            key={index}
            data-diff={line.kind}
            className={cn("flex whitespace-pre-wrap break-all px-2", LINE_STYLES[line.kind])}
          >
            <span aria-hidden="true" className="w-4 shrink-0 select-none opacity-70">
              {LINE_MARKS[line.kind]}
            </span>
            <span className="min-w-0 flex-1">
              <span className="sr-only">{LINE_SR[line.kind]}</span>
              {line.kind === "gap" ? "⋯ unchanged lines ⋯" : line.text || "\u00a0"}
            </span>
          </div>
        ))}
      </figure>
      {hidden > 0 || all ? (
        <Button variant="link" size="sm" className="h-8 px-0" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? "Show less" : `Show all (${lines.length} lines)`}
        </Button>
      ) : null}
    </div>
  );
}
