/** Whether a file system call failed with this errno code (`ENOENT`, `EEXIST`…). */
export function isErrno(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}
