import { type Ref, useCallback, useImperativeHandle, useLayoutEffect, useRef, useState } from "react";
import { runningTurn } from "../lib/turns.ts";
import { useChatActor, useChatSelector } from "../lib/useChat.ts";
import { MicIcon, SendIcon, StopIcon } from "./icons.tsx";
import { Button } from "./ui/button.tsx";
import { Tooltip } from "./ui/tooltip.tsx";

/** What other parts of the app (e.g. voice dictation) can do with the composer. */
export interface ComposerHandle {
  /** Inserts text at the caret (replacing any selection), then focuses the field. */
  insertAtCursor(text: string): void;
  focus(): void;
}

const MIN_HEIGHT = 48;
const MAX_HEIGHT = 200;

/** On phones and tablets Enter adds a line (there is a Send button); with a mouse/keyboard Enter sends. */
function enterAddsLine(): boolean {
  return typeof matchMedia === "function" && matchMedia("(pointer: coarse)").matches;
}

export function Composer({ ref }: { ref?: Ref<ComposerHandle> }) {
  const actor = useChatActor();
  const turns = useChatSelector((s) => s.context.turns);
  const sessionId = useChatSelector((s) => s.context.sessionId);
  const connected = useChatSelector((s) => s.context.connection.status === "connected" && s.context.connection.online);
  const [text, setText] = useState("");
  const field = useRef<HTMLTextAreaElement>(null);

  const running = runningTurn(turns);
  const empty = text.trim() === "";
  const canSend = connected && sessionId !== null && !empty;
  const showStop = running !== undefined && empty;

  const resize = useCallback(() => {
    const el = field.current;
    if (!el) return;
    el.style.height = "auto";
    const height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, el.scrollHeight));
    el.style.height = `${height}px`;
    el.style.overflowY = el.scrollHeight > MAX_HEIGHT ? "auto" : "hidden";
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: resize whenever the text changes
  useLayoutEffect(resize, [text, resize]);

  useImperativeHandle(
    ref,
    () => ({
      insertAtCursor(insert: string) {
        const el = field.current;
        if (!el) {
          setText((current) => current + insert);
          return;
        }
        const start = el.selectionStart ?? el.value.length;
        const end = el.selectionEnd ?? el.value.length;
        const next = el.value.slice(0, start) + insert + el.value.slice(end);
        setText(next);
        const caret = start + insert.length;
        requestAnimationFrame(() => {
          el.focus();
          el.setSelectionRange(caret, caret);
        });
      },
      focus() {
        field.current?.focus();
      },
    }),
    [],
  );

  const send = () => {
    if (!canSend) return;
    actor.send({ type: "SEND", message: text });
    setText("");
    field.current?.focus();
  };

  const stop = () => {
    if (running) actor.send({ type: "CANCEL", targetRequestId: running.requestId });
  };

  return (
    <form
      className="shrink-0 border-t bg-background px-2 pt-2 pr-[max(env(safe-area-inset-right),0.5rem)] pb-[max(env(safe-area-inset-bottom),0.5rem)] pl-[max(env(safe-area-inset-left),0.5rem)]"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <div className="mx-auto flex w-full max-w-3xl items-end gap-1.5">
        <Tooltip content="Voice dictation coming soon">
          <Button
            variant="ghost"
            size="icon"
            aria-label="Record voice"
            aria-disabled="true"
            className="rounded-full text-muted-foreground aria-disabled:cursor-not-allowed aria-disabled:opacity-100 [&_svg]:opacity-70"
            onClick={(event) => event.preventDefault()}
          >
            <MicIcon />
          </Button>
        </Tooltip>
        <textarea
          ref={field}
          aria-label="Message"
          rows={1}
          value={text}
          placeholder={sessionId ? "Message Claude Code…" : "Start a session to send messages"}
          disabled={sessionId === null}
          enterKeyHint={enterAddsLine() ? "enter" : "send"}
          autoComplete="off"
          spellCheck
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
            if (enterAddsLine()) return;
            event.preventDefault();
            send();
          }}
          className="max-h-[200px] min-h-12 flex-1 resize-none overflow-y-hidden rounded-3xl border border-input bg-card px-4 py-3 text-base leading-6 placeholder:text-muted-foreground focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none disabled:opacity-60"
          style={{ height: MIN_HEIGHT }}
        />
        {showStop ? (
          <Button
            type="button"
            variant="destructive"
            size="icon"
            aria-label="Stop"
            className="rounded-full"
            onClick={stop}
            disabled={!connected}
          >
            <StopIcon />
          </Button>
        ) : (
          <Button type="submit" size="icon" aria-label="Send" className="rounded-full" disabled={!canSend}>
            <SendIcon />
          </Button>
        )}
      </div>
    </form>
  );
}
