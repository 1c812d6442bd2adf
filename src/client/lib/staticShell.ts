/** Marks the static first screen in dist/index.html (src/client/shell.tsx), which React replaces. */
export const STATIC_SHELL_ATTRIBUTE = "data-static-shell";
