/**
 * Changed files as both sides list them. Type-only imports from messages.ts: the client bundle
 * gets no Zod from here.
 */
import type { ChangedFile, FileChangeStatus, TurnChangedFile } from "./messages.ts";

export type { ChangedFile, FileChangeStatus, TurnChangedFile };

/** A turn's changed file in the shape of the folder's (`changes:result`): no diff is an empty one. */
export function toChangedFile(file: TurnChangedFile): ChangedFile {
  return {
    path: file.path,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    diff: file.diff ?? "",
    truncated: file.truncated === true,
    ...(file.binary ? { binary: true } : {}),
  };
}
