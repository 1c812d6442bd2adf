/** A side or bottom sheet built on Radix Dialog (focus trap, Escape, scroll lock, aria-modal). */
import { Dialog } from "radix-ui";
import type { ComponentProps, ReactNode } from "react";
import { cn } from "./cn.ts";
import { XIcon } from "./icons.tsx";

export const Sheet = Dialog.Root;
export const SheetTrigger = Dialog.Trigger;
export const SheetClose = Dialog.Close;

const sides = {
  left: "inset-y-0 left-0 h-full w-[min(88vw,380px)] border-r pl-[env(safe-area-inset-left)] data-[state=open]:animate-[sheet-in-left_200ms_ease-out]",
  right:
    "inset-y-0 right-0 h-full w-[min(92vw,560px)] border-l pr-[env(safe-area-inset-right)] data-[state=open]:animate-[sheet-in-right_200ms_ease-out]",
  bottom:
    "inset-x-0 bottom-0 max-h-[85dvh] rounded-t-2xl border-t pb-[env(safe-area-inset-bottom)] data-[state=open]:animate-[sheet-in-bottom_200ms_ease-out]",
} as const;

export interface SheetContentProps extends Omit<ComponentProps<typeof Dialog.Content>, "title"> {
  side?: keyof typeof sides;
  title: ReactNode;
  description?: ReactNode;
  /** Rendered in the header next to the title. */
  actions?: ReactNode;
  /** Opened over another sheet: its backdrop dims that one too. */
  stacked?: boolean;
}

export function SheetContent({
  side = "left",
  title,
  description,
  actions,
  stacked = false,
  className,
  children,
  ...props
}: SheetContentProps) {
  return (
    <Dialog.Portal>
      {/* A plain backdrop, not Dialog.Overlay: the Overlay's scroll lock injects a <style> element, which the
          server's CSP (style-src 'self') rightly blocks. The page never scrolls anyway (body is overflow:hidden);
          a tap on the backdrop still closes the sheet (it is outside the content). */}
      <div
        aria-hidden="true"
        className={cn("fixed inset-0 animate-[fade-in_150ms_ease-out] bg-black/50", stacked ? "z-[60]" : "z-40")}
      />
      <Dialog.Content
        className={cn(
          "fixed flex flex-col bg-background text-foreground shadow-2xl outline-none",
          stacked ? "z-[70]" : "z-50",
          sides[side],
          className,
        )}
        {...props}
      >
        <div className="flex items-start gap-2 border-b px-4 pt-[max(env(safe-area-inset-top),0.75rem)] pb-3">
          <div className="min-w-0 flex-1">
            <Dialog.Title className="font-semibold text-lg leading-7">{title}</Dialog.Title>
            {description ? (
              <Dialog.Description className="text-muted-foreground text-sm">{description}</Dialog.Description>
            ) : (
              <Dialog.Description className="sr-only">{title}</Dialog.Description>
            )}
          </div>
          {actions}
          <Dialog.Close
            className="-mr-2 inline-flex size-11 items-center justify-center rounded-xl hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring [&_svg]:size-5"
            aria-label="Close"
          >
            <XIcon />
          </Dialog.Close>
        </div>
        {children}
      </Dialog.Content>
    </Dialog.Portal>
  );
}
