import type { TokenKind } from "./highlight.ts";

/** How each kind of token is coloured, in the file viewer and in the conversation's code blocks. */
export const TOKEN_STYLES: Record<TokenKind, string> = {
  comment: "text-muted-foreground italic",
  string: "text-green-800 dark:text-green-300",
  number: "text-amber-800 dark:text-amber-300",
  keyword: "font-semibold text-violet-800 dark:text-violet-300",
  plain: "",
};
