import type { ReactNode } from "react";
import { type ErrorCode, errorCodeMeaning } from "../../shared/constants.ts";
import { cn } from "./cn.ts";
import { AlertIcon } from "./icons.tsx";

/**
 * An error with its code's human meaning (errorCodeMeaning) and the server's own words when they
 * add something. The code itself is for tests and bug reports (`data-error-code`), not for people.
 */
export function ErrorBox({
  code,
  message,
  children,
  className,
}: {
  code: ErrorCode;
  message: string;
  children?: ReactNode;
  className?: string;
}) {
  const meaning = errorCodeMeaning[code];
  const extra = message && message !== meaning ? message : null;
  const tone = code === "CANCELLED" ? "muted" : "error";
  return (
    <div
      data-error-code={code}
      className={cn(
        "flex gap-2.5 rounded-xl border px-3 py-2.5 text-sm",
        tone === "error"
          ? "border-destructive/30 bg-destructive-surface text-destructive"
          : "bg-muted text-muted-foreground",
        className,
      )}
    >
      <AlertIcon className="mt-0.5 size-4 shrink-0" />
      <div className="min-w-0 flex-1 space-y-1">
        <p className="font-medium">{meaning}</p>
        {extra ? <p className="break-words text-xs opacity-90">{extra}</p> : null}
        {children}
      </div>
    </div>
  );
}
