/**
 * A confirmation on Radix AlertDialog (focus trapped, Cancel focused first,
 * Escape cancels). Like the sheet, a plain backdrop instead of the Overlay,
 * whose scroll lock injects a <style> element the CSP blocks.
 */
import { AlertDialog } from "radix-ui";
import type { ReactNode } from "react";
import { buttonClasses } from "./button.tsx";

export interface ConfirmDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: ReactNode;
  description: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  /** The confirm button in red. */
  destructive?: boolean;
  onConfirm: () => void;
  children?: ReactNode;
}

export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  description,
  confirmLabel,
  cancelLabel = "Cancel",
  destructive = false,
  onConfirm,
  children,
}: ConfirmDialogProps) {
  return (
    <AlertDialog.Root open={open} onOpenChange={onOpenChange}>
      <AlertDialog.Portal>
        <div aria-hidden="true" className="fixed inset-0 z-[60] animate-[fade-in_150ms_ease-out] bg-black/60" />
        <AlertDialog.Content className="fixed inset-x-3 bottom-[max(env(safe-area-inset-bottom),0.75rem)] z-[70] mx-auto max-w-md space-y-4 rounded-2xl border bg-background p-4 text-foreground shadow-2xl outline-none sm:top-1/2 sm:bottom-auto sm:-translate-y-1/2">
          <div className="space-y-1.5">
            <AlertDialog.Title className="font-semibold text-lg leading-snug">{title}</AlertDialog.Title>
            <AlertDialog.Description className="text-muted-foreground text-sm">{description}</AlertDialog.Description>
          </div>
          {children}
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <AlertDialog.Cancel className={buttonClasses("outline")}>{cancelLabel}</AlertDialog.Cancel>
            <AlertDialog.Action
              className={buttonClasses(destructive ? "destructive" : "default")}
              onClick={() => onConfirm()}
            >
              {confirmLabel}
            </AlertDialog.Action>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
