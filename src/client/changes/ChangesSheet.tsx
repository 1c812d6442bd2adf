/**
 * The changes sheet (its own chunk, loaded when first opened): what a turn changed, or what the
 * session's folder now differs by from `HEAD`, file by file with phone-sized diffs; and the
 * read-only file viewer. Decision 046.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { type ChangedFile, type FileChangeStatus, type TurnChangedFile, toChangedFile } from "../../shared/changes.ts";
import { useChatSelector } from "../chat/useChat.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { DiffView } from "../ui/DiffView.tsx";
import { parseUnifiedDiff, withWordHighlights } from "../ui/diff.ts";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import { ChevronDownIcon, RetryIcon, SpinnerIcon } from "../ui/icons.tsx";
import { Sheet, SheetContent } from "../ui/sheet.tsx";
import { BranchIcon, ChevronLeftIcon, FileIcon } from "../ui/sheetIcons.tsx";
import { FileViewer } from "./FileViewer.tsx";
import { changeSummary, changeSummaryLabel } from "./summary.ts";
import { useRequest } from "./useRequest.ts";

/** What the sheet shows: the session folder's changes, or one turn's. */
export type ChangesTarget = { kind: "session" } | { kind: "turn"; files: readonly TurnChangedFile[] };

/** A diff longer than this many lines starts collapsed, with its count. */
const BIG_DIFF_LINES = 300;

export interface ChangesSheetProps {
  sessionId: string | null;
  target: ChangesTarget | null;
  onClose: () => void;
}

export function ChangesSheet({ sessionId, target, onClose }: ChangesSheetProps) {
  const [viewing, setViewing] = useState<string | null>(null);
  // A new target starts at the list.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the target changes
  useEffect(() => setViewing(null), [target]);
  const title = viewing ? "File" : target?.kind === "turn" ? "This turn's changes" : "Changes";
  return (
    <Sheet open={target !== null && sessionId !== null} onOpenChange={(open) => (open ? undefined : onClose())}>
      <SheetContent
        side="bottom"
        title={title}
        description={viewing ?? (target?.kind === "turn" ? changeSummary(target.files) : "Uncommitted, against HEAD")}
        className="mx-auto h-[85dvh] max-w-3xl md:rounded-t-2xl md:border-x"
        actions={
          viewing ? (
            <Button variant="ghost" size="sm" className="h-11 gap-1" onClick={() => setViewing(null)}>
              <ChevronLeftIcon className="size-4" /> Back
            </Button>
          ) : null
        }
      >
        {sessionId && target ? (
          viewing ? (
            <FileViewer sessionId={sessionId} path={viewing} />
          ) : target.kind === "turn" ? (
            <FileList files={target.files.map(toChangedFile)} onOpen={setViewing} />
          ) : (
            <SessionChanges sessionId={sessionId} onOpen={setViewing} />
          )
        ) : null}
      </SheetContent>
    </Sheet>
  );
}

function SessionChanges({ sessionId, onOpen }: { sessionId: string; onOpen: (path: string) => void }) {
  // A turn of this session that ends while the sheet is open may have changed the folder: look again.
  const finishedTurns = useChatSelector((s) =>
    s.context.sessionId === sessionId
      ? s.context.turns.filter((turn) => turn.status === "done" || turn.status === "error").length
      : 0,
  );
  const { loaded, retry } = useRequest("changes:get", { sessionId }, "changes:result", finishedTurns);
  if (loaded.state === "loading") {
    return (
      <p className="flex items-center gap-2 px-4 py-6 text-muted-foreground text-sm" role="status">
        <SpinnerIcon className="size-4" /> Looking at the folder's changes…
      </p>
    );
  }
  if (loaded.state === "error") {
    return (
      <div className="px-4 py-4">
        <ErrorBox code={loaded.error.code} message={loaded.error.message}>
          <Button size="sm" className="mt-1 h-9 gap-1.5 text-xs" onClick={retry}>
            <RetryIcon className="size-4" /> Try again
          </Button>
        </ErrorBox>
      </div>
    );
  }
  const changes = loaded.value;
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <p className="flex flex-wrap items-center gap-x-2 gap-y-1 border-b px-4 py-2 text-muted-foreground text-xs">
        {changes.isGit ? (
          <>
            {changes.branch ? (
              <span className="inline-flex items-center gap-1 font-medium text-foreground" data-branch={changes.branch}>
                <BranchIcon className="size-3.5" /> {changes.branch}
              </span>
            ) : null}
            <span>{changes.files.length ? changeSummary(changes.files) : "Nothing to commit"}</span>
          </>
        ) : (
          <span>Not a git repository: these are the files the agent changed in this session.</span>
        )}
        {changes.more ? <span>(only the first {changes.files.length} files are listed)</span> : null}
      </p>
      {changes.files.length === 0 ? (
        <p className="px-4 py-8 text-center text-muted-foreground text-sm" data-empty="changes">
          {changes.isGit
            ? "No uncommitted changes: the working tree matches the last commit."
            : "The agent has not changed any files in this session yet."}
        </p>
      ) : (
        <FileList files={changes.files} onOpen={onOpen} />
      )}
    </div>
  );
}

const STATUS_WORDS: Record<FileChangeStatus, string> = {
  added: "Added",
  modified: "Modified",
  deleted: "Deleted",
  renamed: "Renamed",
  untracked: "New, untracked",
};
const STATUS_LETTERS: Record<FileChangeStatus, string> = {
  added: "A",
  modified: "M",
  deleted: "D",
  renamed: "R",
  untracked: "U",
};
const STATUS_STYLES: Record<FileChangeStatus, string> = {
  added: "bg-green-100 text-green-900 dark:bg-green-950 dark:text-green-200",
  untracked: "bg-green-100 text-green-900 dark:bg-green-950 dark:text-green-200",
  modified: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200",
  renamed: "bg-sky-100 text-sky-900 dark:bg-sky-950 dark:text-sky-200",
  deleted: "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200",
};

function FileList({ files, onOpen }: { files: readonly ChangedFile[]; onOpen: (path: string) => void }) {
  return (
    <>
      <p className="sr-only">{changeSummaryLabel(files)}</p>
      <ul className="flex-1 space-y-2 overflow-y-auto overscroll-contain px-3 py-3">
        {files.map((file) => (
          <li key={`${file.oldPath ?? ""}→${file.path}`}>
            <FileChange file={file} onOpen={onOpen} startOpen={files.length === 1} />
          </li>
        ))}
      </ul>
    </>
  );
}

function FileChange({
  file,
  onOpen,
  startOpen,
}: {
  file: ChangedFile;
  onOpen: (path: string) => void;
  startOpen: boolean;
}) {
  const [open, setOpen] = useState(startOpen);
  const [showBig, setShowBig] = useState(false);
  const lines = useMemo(() => (open ? withWordHighlights(parseUnifiedDiff(file.diff)) : []), [open, file.diff]);
  const big = lines.length > BIG_DIFF_LINES && !showBig;
  const slash = file.path.lastIndexOf("/");
  const toggle = useCallback(() => setOpen((value) => !value), []);
  return (
    <section className="rounded-xl border bg-card" data-file={file.path} data-status={file.status}>
      <button
        type="button"
        className="flex min-h-12 w-full items-center gap-2 rounded-xl px-3 py-2 text-left text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring"
        aria-expanded={open}
        onClick={toggle}
      >
        <span
          className={cn(
            "inline-flex size-6 shrink-0 items-center justify-center rounded font-mono font-semibold text-xs",
            STATUS_STYLES[file.status],
          )}
          title={STATUS_WORDS[file.status]}
        >
          <span aria-hidden="true">{STATUS_LETTERS[file.status]}</span>
          <span className="sr-only">{STATUS_WORDS[file.status]}:</span>
        </span>
        <span className="min-w-0 flex-1">
          <span className="block truncate font-medium">{slash >= 0 ? file.path.slice(slash + 1) : file.path}</span>
          {slash >= 0 || file.oldPath ? (
            <span className="block truncate text-muted-foreground text-xs" dir="rtl">
              {/* rtl: a long folder path is cut at its start, so the part nearest the file shows. */}
              <bdi>{file.oldPath ? `from ${file.oldPath}` : file.path.slice(0, slash + 1)}</bdi>
            </span>
          ) : null}
        </span>
        <span className="shrink-0 font-mono text-xs tabular-nums">
          {file.binary ? (
            <span className="text-muted-foreground">binary</span>
          ) : (
            <>
              <span className="text-success">+{file.additions}</span>{" "}
              <span className="text-destructive">−{file.deletions}</span>
            </>
          )}
        </span>
        <ChevronDownIcon
          aria-hidden="true"
          className={cn("size-4 shrink-0 text-muted-foreground transition-transform", open && "rotate-180")}
        />
      </button>
      {open ? (
        <div className="space-y-2 border-t px-3 py-2">
          {file.binary ? (
            <p className="text-muted-foreground text-sm" data-binary="true">
              Binary file: its content is not shown.
            </p>
          ) : lines.length === 0 ? (
            <p className="text-muted-foreground text-sm">
              {file.status === "renamed"
                ? "Renamed without changes."
                : "No text changes (an empty file or a mode change)."}
            </p>
          ) : big ? (
            <div className="flex flex-wrap items-center gap-2 text-sm" data-collapsed="big">
              <span className="text-muted-foreground">Large diff: {lines.length} lines, collapsed.</span>
              <Button variant="outline" size="sm" className="h-11" onClick={() => setShowBig(true)}>
                Show the diff
              </Button>
            </div>
          ) : (
            <DiffView lines={lines} label={`Changes in ${file.path}`} previewLines={400} wrapToggle />
          )}
          {file.truncated ? (
            <p className="text-muted-foreground text-xs">The diff is too long to send whole: it is cut off here.</p>
          ) : null}
          {file.status !== "deleted" ? (
            <Button variant="outline" size="sm" className="h-11 gap-1.5" onClick={() => onOpen(file.path)}>
              <FileIcon className="size-4" /> Open file
            </Button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
