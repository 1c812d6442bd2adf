import {
  type Ref,
  Suspense,
  useCallback,
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  useState,
} from "react";
import { Button } from "../ui/button.tsx";
import { SendIcon, StopIcon } from "../ui/icons.tsx";
import { usePointerCoarse } from "../ui/usePointer.ts";
import { useSelector } from "../ui/useSelector.ts";
import {
  CancelVoiceButton,
  isCapturing,
  MicButton,
  type RecorderActorRef,
  RecordingStrip,
  VoiceNotice,
  voicePhase,
} from "../voice/Voice.tsx";
import { joinDictation } from "../voice/voice.ts";
import { runningTurn } from "./turns.ts";
import { useChatActor, useChatSelector } from "./useChat.ts";

/** What other parts of the app (e.g. voice dictation) can do with the composer. */
export interface ComposerHandle {
  /**
   * Inserts text at the caret (replacing any selection), then focuses the field.
   * `spaced`: as a dictated phrase, with a space before it (and after it) where the words would touch.
   */
  insertAtCursor(text: string, options?: { spaced?: boolean }): void;
  focus(): void;
}

const MIN_HEIGHT = 48;
const MAX_HEIGHT = 200;

export function Composer({ ref, recorder }: { ref?: Ref<ComposerHandle>; recorder: RecorderActorRef }) {
  const actor = useChatActor();
  const turns = useChatSelector((s) => s.context.turns);
  const sessionId = useChatSelector((s) => s.context.sessionId);
  const connected = useChatSelector((s) => s.context.connection.status === "connected" && s.context.connection.online);
  const phase = useSelector(recorder, voicePhase);
  const capturing = isCapturing(phase);
  const [text, setText] = useState("");
  // On phones and tablets Enter adds a line (there is a Send button); with a mouse/keyboard Enter sends.
  const enterAddsLine = usePointerCoarse();
  const field = useRef<HTMLTextAreaElement>(null);

  const running = runningTurn(turns);
  const empty = text.trim() === "";
  const canSend = connected && sessionId !== null && !empty && !capturing;
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

  const insertAtCursor = useCallback((insert: string, options?: { spaced?: boolean }) => {
    const el = field.current;
    if (!el) {
      setText((current) =>
        options?.spaced ? joinDictation(current, current.length, current.length, insert).value : current + insert,
      );
      return;
    }
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? el.value.length;
    let next: string;
    let caret: number;
    if (options?.spaced) {
      ({ value: next, caret } = joinDictation(el.value, start, end, insert));
    } else {
      next = el.value.slice(0, start) + insert + el.value.slice(end);
      caret = start + insert.length;
    }
    setText(next);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(caret, caret);
    });
  }, []);

  useImperativeHandle(
    ref,
    () => ({
      insertAtCursor,
      focus() {
        field.current?.focus();
      },
    }),
    [insertAtCursor],
  );

  // Dictated text goes in at the caret (never sent by itself); focus comes back to the field.
  useEffect(() => {
    const subscription = recorder.on("transcript", (event) => insertAtCursor(event.text, { spaced: true }));
    return () => subscription.unsubscribe();
  }, [recorder, insertAtCursor]);

  // Escape drops a recording (or the transcription on its way), like the Cancel button.
  useEffect(() => {
    if (!capturing) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape" && !event.defaultPrevented) recorder.send({ type: "CANCEL" });
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [capturing, recorder]);

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
      {phase === "error" ? (
        <Suspense fallback={null}>
          <VoiceNotice recorder={recorder} />
        </Suspense>
      ) : null}
      <div className="mx-auto flex w-full max-w-3xl items-end gap-1.5">
        <MicButton recorder={recorder} disabled={sessionId === null} />
        <div className="relative min-w-0 flex-1">
          <textarea
            ref={field}
            aria-label="Message"
            rows={1}
            value={text}
            placeholder={sessionId ? "Message Claude Code…" : "Start a session first"}
            disabled={sessionId === null}
            enterKeyHint={enterAddsLine ? "enter" : "send"}
            autoComplete="off"
            spellCheck
            onChange={(event) => setText(event.target.value)}
            onKeyDown={(event) => {
              if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
              if (enterAddsLine) return;
              event.preventDefault();
              send();
            }}
            className={`block h-12 max-h-[200px] min-h-12 w-full resize-none overflow-y-hidden rounded-3xl border border-input bg-card px-4 py-3 text-base leading-6 placeholder:text-muted-foreground focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none disabled:opacity-60 ${capturing ? "invisible" : ""}`}
          />
          {/* While dictating the strip covers the field, which stays in place (invisible) with its caret. */}
          {capturing ? (
            <Suspense
              fallback={<div className="absolute inset-0 rounded-3xl border border-input bg-card" aria-hidden="true" />}
            >
              <RecordingStrip recorder={recorder} />
            </Suspense>
          ) : null}
        </div>
        {capturing ? (
          <CancelVoiceButton recorder={recorder} />
        ) : showStop ? (
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
