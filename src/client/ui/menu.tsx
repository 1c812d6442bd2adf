/**
 * A menu of actions on one thing (a session's row), on Radix DropdownMenu: arrow keys, type-ahead,
 * Escape, focus back to its button. Not modal: a modal menu's scroll lock injects a <style>
 * element, which the server's CSP (style-src 'self') blocks; the page never scrolls anyway.
 */
import { DropdownMenu } from "radix-ui";
import type { ReactNode } from "react";
import { cn } from "./cn.ts";

export function Menu({ trigger, children }: { trigger: ReactNode; children: ReactNode }) {
  return (
    <DropdownMenu.Root modal={false}>
      <DropdownMenu.Trigger asChild>{trigger}</DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content
          align="end"
          sideOffset={4}
          collisionPadding={8}
          className="z-[80] min-w-48 animate-[fade-in_120ms_ease-out] rounded-xl border bg-card p-1 text-foreground shadow-xl"
        >
          {children}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

export function MenuItem({
  icon,
  children,
  onSelect,
  destructive = false,
}: {
  icon?: ReactNode;
  children: ReactNode;
  onSelect: () => void;
  destructive?: boolean;
}) {
  return (
    <DropdownMenu.Item
      onSelect={onSelect}
      className={cn(
        "flex min-h-11 cursor-default select-none items-center gap-3 rounded-lg px-3 text-[15px] outline-none data-[highlighted]:bg-muted [&_svg]:size-4 [&_svg]:shrink-0 [&_svg]:text-muted-foreground",
        destructive && "text-destructive [&_svg]:text-destructive",
      )}
    >
      {icon}
      {children}
    </DropdownMenu.Item>
  );
}
