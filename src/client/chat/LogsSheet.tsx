import { useMemo } from "react";
import { Sheet, SheetContent } from "../ui/sheet.tsx";
import { summarizeLog } from "./activity.ts";
import { JsonTree } from "./JsonTree.tsx";

interface ParsedLog {
  title: string;
  value: unknown;
}

function parse(data: string, cwd: string | undefined): ParsedLog {
  let value: unknown = data;
  try {
    value = JSON.parse(data);
  } catch {
    // Not JSON: shown as text.
  }
  const items = summarizeLog(data, { cwd, maxLength: 90 });
  const title = items.length ? items.map((item) => `${item.label}: ${item.detail}`).join(" · ") : kindOf(value);
  return { title, value };
}

/** "command_lifecycle" → "Command lifecycle". */
function humanize(name: string): string {
  const words = name.replaceAll(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A readable name for a log the summaries do not cover: its type and subtype, in words. */
function kindOf(value: unknown): string {
  if (!value || typeof value !== "object") return "Text";
  const { type, subtype } = value as { type?: unknown; subtype?: unknown };
  const parts = [type, subtype].filter((part): part is string => typeof part === "string" && part !== "");
  return parts.length ? parts.map(humanize).join(" · ") : "Log";
}

export interface LogsSheetProps {
  logs: readonly string[] | null;
  cwd?: string;
  onClose: () => void;
}

/** One turn's agent messages, each collapsible, as readable JSON. */
export function LogsSheet({ logs, cwd, onClose }: LogsSheetProps) {
  const parsed = useMemo(() => (logs ?? []).map((data) => parse(data, cwd)), [logs, cwd]);
  return (
    <Sheet open={logs !== null} onOpenChange={(open) => (open ? undefined : onClose())}>
      <SheetContent
        side="bottom"
        title="Agent logs"
        description={`${parsed.length} message${parsed.length === 1 ? "" : "s"} from this reply`}
        className="mx-auto max-w-3xl md:rounded-t-2xl md:border-x"
      >
        <ol className="flex-1 space-y-2 overflow-y-auto overscroll-contain px-3 py-3">
          {parsed.map((log, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: logs are an immutable, ordered list
            <li key={index}>
              <details className="rounded-xl border bg-card">
                <summary className="flex cursor-pointer list-none items-baseline gap-2 rounded-xl px-3 py-2.5 text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring [&::-webkit-details-marker]:hidden">
                  <span className="font-mono text-muted-foreground text-xs">{index + 1}</span>
                  <span className="min-w-0 flex-1 truncate">{log.title}</span>
                </summary>
                <div className="overflow-x-auto border-t px-3 py-2">
                  <JsonTree value={log.value} />
                </div>
              </details>
            </li>
          ))}
        </ol>
      </SheetContent>
    </Sheet>
  );
}
