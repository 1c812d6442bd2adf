/**
 * What one step did, readable: a command with its exit code and output, the file and lines read,
 * the matches found, the diff of an edit. Its own chunk (with jsdiff), loaded when a step is first
 * opened.
 */
import { useState } from "react";
import { Button } from "../ui/button.tsx";
import { DiffView } from "../ui/DiffView.tsx";
import { diffLines, linesOf } from "../ui/diff.ts";
import { shortPath } from "./activity.ts";
import { exitCodeOf, type Step } from "./steps.ts";

/** Output longer than this many lines is cut, with "Show all". */
export const OUTPUT_LINES = 200;

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

function Output({ text, label }: { text: string | null; label: string }) {
  const [all, setAll] = useState(false);
  if (text === null) return <p className="text-muted-foreground text-xs">Still running…</p>;
  if (text.trim() === "") return <p className="text-muted-foreground text-xs">No output.</p>;
  const lines = text.split("\n");
  const cut = !all && lines.length > OUTPUT_LINES;
  return (
    <figure className="space-y-1">
      <figcaption className="sr-only">{label}</figcaption>
      <pre
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        tabIndex={0}
        className="max-h-80 overflow-auto rounded-lg border bg-code px-2.5 py-2 font-mono text-[12px] leading-5 whitespace-pre-wrap break-all"
      >
        {cut ? lines.slice(0, OUTPUT_LINES).join("\n") : text}
      </pre>
      {lines.length > OUTPUT_LINES ? (
        <Button variant="link" size="sm" className="h-11 px-0" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? "Show less" : `Show all (${lines.length} lines)`}
        </Button>
      ) : null}
    </figure>
  );
}

function Field({ name, children }: { name: string; children: React.ReactNode }) {
  return (
    <div className="space-y-0.5">
      <p className="text-muted-foreground text-xs">{name}</p>
      {children}
    </div>
  );
}

function Mono({ children }: { children: React.ReactNode }) {
  return <p className="break-all font-mono text-[12.5px]">{children}</p>;
}

export function StepDetail({ step, cwd }: { step: Step; cwd?: string }) {
  const input = step.input;
  const path = (key: string) => {
    const value = str(input[key]);
    return value ? shortPath(value, cwd) : "(no path)";
  };
  switch (step.tool) {
    case "Bash": {
      const exit = exitCodeOf(step.output);
      return (
        <div className="space-y-2">
          <Field name="Command">
            <pre className="overflow-x-auto rounded-lg border bg-code px-2.5 py-2 font-mono text-[12.5px] whitespace-pre-wrap break-all">
              {str(input.command) ?? ""}
            </pre>
          </Field>
          {step.status === "refused" ? (
            <p className="text-xs">Not run</p>
          ) : step.status !== "running" ? (
            <p className="text-xs" data-exit-code={exit ?? (step.status === "ok" ? 0 : "")}>
              {step.status === "ok" ? "Exit code 0" : exit !== null ? `Exit code ${exit}` : "Failed"}
            </p>
          ) : null}
          {/* A refused command's "output" is the CLI's note to the agent, not anything the command printed. */}
          {step.status === "refused" ? null : (
            <Field name="Output">
              <Output text={step.output} label="Command output" />
            </Field>
          )}
        </div>
      );
    }
    case "Read": {
      const offset = num(input.offset);
      const limit = num(input.limit);
      const lines = step.output === null ? null : linesOf(step.output).length;
      const range =
        offset !== undefined || limit !== undefined
          ? `lines ${offset ?? 1}–${(offset ?? 1) + (limit ?? lines ?? 0) - 1}`
          : lines !== null
            ? `${lines} line${lines === 1 ? "" : "s"}`
            : "";
      return (
        <div className="space-y-1">
          <Mono>{path("file_path")}</Mono>
          {range ? <p className="text-muted-foreground text-xs">{range}</p> : null}
        </div>
      );
    }
    case "Edit":
    case "MultiEdit": {
      const edits =
        step.tool === "MultiEdit" && Array.isArray(input.edits) ? (input.edits as Record<string, unknown>[]) : [input];
      return (
        <div className="space-y-2">
          <Mono>{path("file_path")}</Mono>
          {edits.map((edit, index) => (
            <DiffView
              // biome-ignore lint/suspicious/noArrayIndexKey: an edit's position is its identity
              key={index}
              lines={diffLines(str(edit.old_string) ?? "", str(edit.new_string) ?? "")}
              label={edits.length > 1 ? `Change ${index + 1}` : "Change"}
              previewLines={40}
            />
          ))}
          {step.status === "error" ? <Output text={step.output} label="Error" /> : null}
        </div>
      );
    }
    case "Write":
      return (
        <div className="space-y-2">
          <Mono>{path("file_path")}</Mono>
          <DiffView
            lines={linesOf(str(input.content) ?? "").map((text) => ({ kind: "add" as const, text }))}
            label="New content"
            previewLines={40}
          />
        </div>
      );
    case "Grep":
    case "Glob":
      return (
        <div className="space-y-2">
          <Mono>
            {str(input.pattern) ?? ""}
            {str(input.path) ? ` in ${path("path")}` : ""}
          </Mono>
          <Field name={step.tool === "Grep" ? "Matches" : "Files"}>
            <Output text={step.output} label={step.tool === "Grep" ? "Matches" : "Files"} />
          </Field>
        </div>
      );
    default:
      return (
        <div className="space-y-2">
          <Field name="Input">
            <pre className="overflow-x-auto rounded-lg border bg-code px-2.5 py-2 font-mono text-[12px] whitespace-pre-wrap break-all">
              {JSON.stringify(input, null, 2)}
            </pre>
          </Field>
          <Field name="Result">
            <Output text={step.output} label="Result" />
          </Field>
        </div>
      );
  }
}
