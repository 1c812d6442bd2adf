/** Readable, collapsible JSON: objects and arrays are <details>, so they fold with a tap or the keyboard. */
import { cn } from "../ui/cn.ts";

const MAX_CHILDREN = 200;

function preview(value: unknown): string {
  if (Array.isArray(value)) return `[${value.length}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    return `{${keys.slice(0, 4).join(", ")}${keys.length > 4 ? ", …" : ""}}`;
  }
  return "";
}

function Primitive({ value }: { value: unknown }) {
  if (typeof value === "string") {
    return (
      <span className="whitespace-pre-wrap break-words text-emerald-700 dark:text-emerald-300">
        {JSON.stringify(value).length > 80 || value.includes("\n") ? value : JSON.stringify(value)}
      </span>
    );
  }
  if (typeof value === "number") return <span className="text-blue-700 dark:text-blue-300">{String(value)}</span>;
  if (typeof value === "boolean") return <span className="text-purple-700 dark:text-purple-300">{String(value)}</span>;
  return <span className="text-muted-foreground">null</span>;
}

function Node({ name, value, depth }: { name: string | null; value: unknown; depth: number }) {
  const label = name === null ? null : <span className="text-muted-foreground">{name}: </span>;
  if (value === null || typeof value !== "object") {
    return (
      <div className="py-px">
        {label}
        <Primitive value={value} />
      </div>
    );
  }
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value);
  return (
    <details open={depth < 2} className="group py-px">
      <summary className="cursor-pointer list-none rounded hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring [&::-webkit-details-marker]:hidden">
        <span aria-hidden="true" className="inline-block w-3 text-muted-foreground group-open:rotate-90">
          ›
        </span>
        {label}
        <span className="text-muted-foreground">{preview(value)}</span>
      </summary>
      <div className="ml-1.5 border-l pl-3">
        {entries.slice(0, MAX_CHILDREN).map(([key, child]) => (
          <Node key={key} name={key} value={child} depth={depth + 1} />
        ))}
        {entries.length > MAX_CHILDREN ? (
          <div className="text-muted-foreground">… {entries.length - MAX_CHILDREN} more</div>
        ) : null}
      </div>
    </details>
  );
}

export function JsonTree({ value, className }: { value: unknown; className?: string }) {
  return (
    <div className={cn("font-mono text-xs leading-5", className)}>
      <Node name={null} value={value} depth={0} />
    </div>
  );
}
