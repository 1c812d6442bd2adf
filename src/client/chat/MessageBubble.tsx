import { useState } from "react";
import { Button } from "../ui/button.tsx";
import { copyText } from "../ui/clipboard.ts";
import { CopyIcon, MoreIcon, PencilIcon } from "../ui/icons.tsx";

/** A message longer than this (characters or lines) folds behind "Show more". */
const FOLD_CHARS = 600;
const FOLD_LINES = 10;

function isLong(message: string): boolean {
  if (message.length > FOLD_CHARS) return true;
  let lines = 1;
  for (const char of message) if (char === "\n" && ++lines > FOLD_LINES) return true;
  return false;
}

/**
 * The user's own message: long ones fold behind "Show more"; its actions (the "…" button beside
 * it, a long press or the context menu) are Copy and "Edit and resend" (the text goes back into
 * the composer).
 */
export function MessageBubble({ message, onEdit }: { message: string; onEdit?: (text: string) => void }) {
  const long = isLong(message);
  const [expanded, setExpanded] = useState(false);
  const [actions, setActions] = useState(false);
  const [copied, setCopied] = useState(false);
  const folded = long && !expanded;
  return (
    <>
      <div className="flex max-w-full items-start justify-end gap-0.5">
        <Button
          variant="ghost"
          size="icon"
          aria-label="Message actions"
          aria-expanded={actions}
          className="size-11 shrink-0 text-muted-foreground"
          onClick={() => setActions((shown) => !shown)}
        >
          <MoreIcon className="size-4" />
        </Button>
        {/* biome-ignore lint/a11y/noStaticElementInteractions: the context menu is a shortcut; the "Message actions" button beside it is the way for everyone */}
        <div
          onContextMenu={(event) => {
            event.preventDefault();
            setActions(true);
          }}
          className="min-w-0 max-w-[85%] whitespace-pre-wrap break-words rounded-2xl rounded-br-md bg-primary px-3.5 py-2 text-[15px] text-primary-foreground leading-relaxed"
        >
          <span className={folded ? "line-clamp-[8] block" : "block"}>{message}</span>
        </div>
      </div>
      {long ? (
        <Button
          variant="ghost"
          size="sm"
          className="h-11 px-2 text-muted-foreground text-xs"
          aria-expanded={expanded}
          onClick={() => setExpanded((open) => !open)}
        >
          {expanded ? "Show less" : "Show more"}
        </Button>
      ) : null}
      {actions ? (
        <div className="flex gap-1">
          <Button
            variant="outline"
            size="sm"
            className="h-11 gap-1.5 px-3 text-xs"
            onClick={async () => setCopied(await copyText(message))}
          >
            <CopyIcon className="size-4" />
            {copied ? "Copied" : "Copy"}
          </Button>
          {onEdit ? (
            <Button
              variant="outline"
              size="sm"
              className="h-11 gap-1.5 px-3 text-xs"
              onClick={() => {
                onEdit(message);
                setActions(false);
              }}
            >
              <PencilIcon className="size-4" />
              Edit and resend
            </Button>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
