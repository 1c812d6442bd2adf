import { type ReactNode, useEffect, useRef, useState } from "react";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { AlertIcon, SpinnerIcon, XIcon } from "../ui/icons.tsx";
import { Part } from "../ui/lazyPart.tsx";

/** False until `value` is true once, then true for good. */
function useOnceTrue(value: boolean): boolean {
  const [seen, setSeen] = useState(value);
  if (value && !seen) setSeen(true);
  return seen || value;
}

export interface OnDemandProps {
  open: boolean;
  /** The sheet's name, as its button says it ("Sessions", "Changes"). */
  name: string;
  onClose: () => void;
  children: ReactNode;
}

/**
 * A sheet whose code loads the first time it is opened (and then stays mounted, so that it can
 * animate closed). Each is its own `Part`: a shared Suspense would hide every open sheet (one
 * stacked over another included) while the next one loads, and a shared error boundary would take
 * them all away for one that failed.
 */
export function OnDemand({ open, name, onClose, children }: OnDemandProps) {
  const used = useOnceTrue(open);
  if (!used) return null;
  return (
    <Part
      retryOn={open}
      loading={open ? <SheetNotice name={name} /> : null}
      failed={(retry) => (open ? <SheetNotice name={name} retry={retry} onClose={onClose} /> : null)}
    >
      {children}
    </Part>
  );
}

/**
 * Where the sheet would be, while its code loads or after it failed to. Loading shows only when it
 * takes a while (a slow first visit): a quick load opens the sheet with no flash.
 */
function SheetNotice({ name, retry, onClose }: { name: string; retry?: () => void; onClose?: () => void }) {
  const tryAgain = useRef<HTMLButtonElement>(null);
  // The tap that asked for the sheet got this instead: the keyboard goes where the sheet would have taken it.
  useEffect(() => tryAgain.current?.focus({ preventScroll: true }), []);
  return (
    <div className="pointer-events-none fixed inset-x-3 bottom-24 z-40 flex justify-center">
      <div
        role={retry ? "alert" : "status"}
        className={cn(
          "pointer-events-auto flex min-h-11 w-full max-w-md items-center gap-2 rounded-xl border bg-popover py-1 pr-1 pl-3 text-popover-foreground text-sm shadow-lg",
          retry ? "border-destructive/40" : "animate-[fade-in_150ms_ease-out_300ms_both]",
        )}
      >
        {retry ? (
          <AlertIcon className="size-4 shrink-0 text-destructive" />
        ) : (
          <SpinnerIcon className="size-4 shrink-0 text-muted-foreground" />
        )}
        <p className="min-w-0 flex-1 py-1.5">
          {retry ? `${name} could not open. Check the connection to your workstation.` : `Opening ${name}…`}
        </p>
        {retry ? (
          <>
            <Button ref={tryAgain} size="sm" onClick={retry}>
              Try again
            </Button>
            <Button variant="ghost" size="icon" aria-label="Close" onClick={onClose}>
              <XIcon />
            </Button>
          </>
        ) : null}
      </div>
    </div>
  );
}
