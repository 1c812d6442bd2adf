/**
 * A session's changes and files, for the phone: the working tree against `HEAD` (git's own
 * status and diff), or outside git the files the agent's turns changed (their `turn:changes`
 * events); and one file's text for the viewer.
 */
import { toChangedFile } from "../../shared/changes.ts";
import { type ChangedFile, LIMITS, type TurnChangedFile } from "../../shared/messages.ts";
import type { SessionService } from "../sessions/sessionService.ts";
import type { SessionStore } from "../sessions/store.ts";
import { type FileText, readSessionFile } from "./fileReader.ts";
import { diffAgainstHead, diffUntracked, fromRoot, gitStatus, type NumstatEntry, statusOf } from "./git.ts";

export interface SessionChanges {
  isGit: boolean;
  branch?: string;
  files: ChangedFile[];
  more?: boolean;
}

/** Untracked files diffed at once (each is two git processes). */
const UNTRACKED_PARALLEL = 4;

export class ChangesService {
  constructor(private readonly options: { sessions: SessionService; store: SessionStore }) {}

  async sessionChanges(sessionId: string): Promise<SessionChanges> {
    const { cwd } = this.options.sessions.get(sessionId);
    const status = await gitStatus(cwd);
    if (!status) return { isGit: false, files: this.editedInSession(sessionId) };

    const entries = status.entries.slice(0, LIMITS.changedFiles);
    const { numstat, patches } = await diffAgainstHead(cwd, status.hasHead);
    const byPath = new Map<string, { numstat: NumstatEntry; patch: string }>();
    numstat.forEach((entry, i) => {
      const patch = patches[i] ?? "";
      byPath.set(entry.path, { numstat: entry, patch });
    });

    const files: ChangedFile[] = [];
    const untracked: { index: number; path: string }[] = [];
    for (const entry of entries) {
      const path = fromRoot(status.root, cwd, entry.path);
      const status_ = statusOf(entry);
      if (status_ === "untracked") {
        untracked.push({ index: files.length, path: entry.path });
        files.push({ path, status: status_, additions: 0, deletions: 0, diff: "", truncated: false });
        continue;
      }
      const diffed = byPath.get(entry.path);
      files.push({
        path,
        ...(entry.origPath ? { oldPath: fromRoot(status.root, cwd, entry.origPath) } : {}),
        status: status_,
        ...fromDiff(diffed?.numstat, diffed?.patch ?? ""),
      });
    }
    for (let i = 0; i < untracked.length; i += UNTRACKED_PARALLEL) {
      await Promise.all(
        untracked.slice(i, i + UNTRACKED_PARALLEL).map(async ({ index, path }) => {
          const { numstat: counts, patch } = await diffUntracked(status.root, path);
          const file = files[index];
          if (file) files[index] = { ...file, ...fromDiff(counts, patch) };
        }),
      );
    }
    return {
      isGit: true,
      ...(status.branch ? { branch: status.branch } : {}),
      files,
      ...(status.entries.length > entries.length ? { more: true } : {}),
    };
  }

  readFile(sessionId: string, path: string): Promise<FileText> {
    const { cwd } = this.options.sessions.get(sessionId);
    return readSessionFile(cwd, path);
  }

  /** Outside git: every file a turn of this session changed, its turns' diffs one after another. */
  private editedInSession(sessionId: string): ChangedFile[] {
    const byPath = new Map<string, { first: TurnChangedFile; last: TurnChangedFile; file: ChangedFile }>();
    for (const event of this.options.store.eventsOfType(sessionId, "turn:changes")) {
      if (event.type !== "turn:changes") continue;
      for (const change of event.payload.files) {
        const seen = byPath.get(change.path);
        if (!seen) {
          byPath.set(change.path, { first: change, last: change, file: toChangedFile(change) });
          continue;
        }
        seen.last = change;
        seen.file.additions += change.additions;
        seen.file.deletions += change.deletions;
        seen.file.diff = joinDiffs(seen.file.diff, change.diff ?? "");
        seen.file.truncated ||= change.truncated === true;
        if (change.binary) seen.file.binary = true;
      }
    }
    const files: ChangedFile[] = [];
    for (const { first, last, file } of byPath.values()) {
      const status = last.status === "deleted" ? "deleted" : first.status === "added" ? "added" : "modified";
      files.push({ ...file, status });
    }
    return files.sort((a, b) => a.path.localeCompare(b.path)).slice(0, LIMITS.changedFiles);
  }
}

function joinDiffs(a: string, b: string): string {
  const joined = a && b ? `${a}${a.endsWith("\n") ? "" : "\n"}${b}` : a || b;
  return joined.length > LIMITS.fileDiffChars ? joined.slice(0, LIMITS.fileDiffChars) : joined;
}

/** Counts and patch of one file from git's numstat and diff; a binary file has no patch. */
function fromDiff(
  numstat: NumstatEntry | undefined,
  patch: string,
): Pick<ChangedFile, "additions" | "deletions" | "diff" | "truncated" | "binary"> {
  const binary = numstat ? numstat.additions === null : /^Binary files /m.test(patch);
  if (binary) return { additions: 0, deletions: 0, diff: "", truncated: false, binary: true };
  const truncated = patch.length > LIMITS.fileDiffChars;
  return {
    additions: numstat?.additions ?? 0,
    deletions: numstat?.deletions ?? 0,
    diff: truncated ? patch.slice(0, LIMITS.fileDiffChars) : patch,
    truncated,
  };
}
