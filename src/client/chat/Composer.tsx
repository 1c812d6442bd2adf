import { type Ref, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState } from "react";
import { LIMITS } from "../../shared/constants.ts";
import type { SlashCommand } from "../../shared/messages.ts";
import { Button } from "../ui/button.tsx";
import { ImageIcon, SendIcon, StopIcon } from "../ui/icons.tsx";
import { failedLine, Part } from "../ui/lazyPart.tsx";
import { usePointerCoarse } from "../ui/usePointer.ts";
import { useSelector } from "../ui/useSelector.ts";
import {
  CancelVoiceButton,
  isCapturing,
  MicButton,
  RecordingStrip,
  selectVoicePhase,
  VoiceNotice,
} from "../voice/Voice.tsx";
import { joinDictation } from "../voice/voice.ts";
import type { VoiceControl } from "../voice/voiceControl.ts";
import { readDraft, writeDraft } from "./drafts.ts";
import { ComposerImages } from "./ImageThumbs.tsx";
import { optionId, SlashSuggestions, SUGGESTIONS_ID, useSessionCommands } from "./SlashSuggestions.tsx";
import { insertCommand, matchCommands, slashQuery } from "./slashCommands.ts";
import { type OutgoingImage, runningTurn } from "./turns.ts";
import { useChatActor, useChatSelector } from "./useChat.ts";

// Where the recording strip and the `/` list sit, for what shows in their place when their code cannot load.
const STRIP_PLACE = "absolute inset-0 rounded-3xl border border-input bg-card";
const FLOATING_LIST = "absolute right-0 bottom-full left-0 z-20 mb-2 rounded-2xl border bg-card shadow-lg";

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

export function Composer({ ref, recorder }: { ref?: Ref<ComposerHandle>; recorder: VoiceControl }) {
  const actor = useChatActor();
  const turns = useChatSelector((s) => s.context.turns);
  const sessionId = useChatSelector((s) => s.context.sessionId);
  const connected = useChatSelector((s) => s.context.connection.status === "connected" && s.context.connection.online);
  const storage = useChatSelector((s) => s.context.storage);
  const socket = useChatSelector((s) => s.context.socket);
  const phase = useSelector(recorder, selectVoicePhase);
  const capturing = isCapturing(phase);
  // One draft per session (drafts.ts): switching shows the other session's own draft, at once.
  const [draft, setDraft] = useState(() => ({ sessionId, text: readDraft(storage, sessionId) }));
  // Images wait in memory with the session they were picked in (never in the saved draft).
  const [picked, setPicked] = useState<{ sessionId: string | null; images: OutgoingImage[] }>({
    sessionId,
    images: [],
  });
  const [imageNote, setImageNote] = useState<string | null>(null);
  const [preparing, setPreparing] = useState(0);
  let current = draft;
  if (draft.sessionId !== sessionId) {
    current = { sessionId, text: readDraft(storage, sessionId) };
    setDraft(current);
    setPicked({ sessionId, images: [] });
    setImageNote(null);
  }
  const images = picked.sessionId === sessionId ? picked.images : [];
  const text = current.text;
  const setText = useCallback(
    (next: string | ((previous: string) => string)) =>
      setDraft((previous) => {
        const value = typeof next === "function" ? next(previous.text) : next;
        writeDraft(storage, previous.sessionId, value);
        return { sessionId: previous.sessionId, text: value };
      }),
    [storage],
  );
  const [interruptOffered, setInterruptOffered] = useState(false);
  // On phones and tablets Enter adds a line (there is a Send button); with a mouse/keyboard Enter sends.
  const enterAddsLine = usePointerCoarse();
  const field = useRef<HTMLTextAreaElement>(null);

  const running = runningTurn(turns);
  const empty = text.trim() === "" && images.length === 0;
  // Offline too: the message waits in the outbox and goes out once, on reconnect.
  const canSend = sessionId !== null && !empty && !capturing && preparing === 0;

  const fileInput = useRef<HTMLInputElement>(null);
  const addFiles = async (files: readonly File[]) => {
    if (files.length === 0) return;
    const room = LIMITS.attachments - images.length;
    const taken = files.slice(0, Math.max(0, room));
    const notes: string[] = [];
    if (files.length > taken.length) notes.push(`At most ${LIMITS.attachments} images per message.`);
    setPreparing((n) => n + taken.length);
    // The downscaler loads on first use (the service worker has it cached): most sessions never
    // attach an image, and the first screen's script is at its budget.
    const downscaler = await import("./images.ts").catch(() => null);
    const prepared = downscaler ? await Promise.all(taken.map((file) => downscaler.prepareImage(file))) : [];
    setPreparing((n) => n - taken.length);
    if (!downscaler) notes.push("The app could not load what it needs to attach images. Reload it and try again.");
    const ready: OutgoingImage[] = [];
    for (const result of prepared) {
      if (result.ok) ready.push(result.image);
      else notes.push(result.reason);
    }
    setPicked((previous) =>
      previous.sessionId === sessionId
        ? { sessionId, images: [...previous.images, ...ready].slice(0, LIMITS.attachments) }
        : previous,
    );
    setImageNote(notes.length ? notes.join(" ") : null);
  };
  const removeImage = (key: string) => {
    setPicked((previous) => {
      const gone = previous.images.find((image) => image.key === key);
      if (gone) URL.revokeObjectURL(gone.previewUrl);
      return { ...previous, images: previous.images.filter((image) => image.key !== key) };
    });
    setImageNote(null);
    field.current?.focus();
  };

  // "/" at the start suggests the agent's commands (asked for once per session, on the first "/").
  const query = capturing ? null : slashQuery(text);
  const [dismissedAt, setDismissedAt] = useState<string | null>(null);
  const suggesting = query !== null && dismissedAt !== text && sessionId !== null;
  const commands = useSessionCommands(socket, sessionId, suggesting);
  const matches =
    suggesting && commands.state.status === "ready" ? matchCommands(commands.state.commands, query ?? "") : [];
  const [activeOption, setActiveOption] = useState(0);
  const active = Math.min(activeOption, Math.max(0, matches.length - 1));
  const activeCommand = matches[active];
  const chooseCommand = (command: SlashCommand) => {
    const value = insertCommand(command);
    setText(value);
    setActiveOption(0);
    requestAnimationFrame(() => {
      const el = field.current;
      el?.focus();
      el?.setSelectionRange(value.length, value.length);
    });
  };

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

  const insertAtCursor = useCallback(
    (insert: string, options?: { spaced?: boolean }) => {
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
    },
    [setText],
  );

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
    return recorder.onTranscript((text) => insertAtCursor(text, { spaced: true }));
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
    actor.send({ type: "SEND", message: text, ...(images.length ? { attachments: images } : {}) });
    setText("");
    // The previews now belong to the sent message (shown until the server has the images).
    setPicked({ sessionId, images: [] });
    setImageNote(null);
    setInterruptOffered(false);
    // A voice error from before this message is stale now.
    if (phase === "error") recorder.send({ type: "DISMISS" });
    field.current?.focus();
  };

  const stop = () => {
    if (running) actor.send({ type: "CANCEL", targetRequestId: running.requestId });
  };

  /** "Stop, do X instead" in one action: the running turn is cancelled, then the message goes out. */
  const interruptAndSend = () => {
    if (!canSend) return;
    stop();
    send();
  };

  // A long press (or the context menu) on Send, while the agent works, offers "Interrupt and send".
  const pressTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The tap that ends a long press must not also send.
  const longPressed = useRef(false);
  const offerInterrupt = () => {
    if (running && canSend) setInterruptOffered(true);
  };
  const pressStart = () => {
    longPressed.current = false;
    if (!running) return;
    pressTimer.current = setTimeout(() => {
      longPressed.current = true;
      offerInterrupt();
    }, 500);
  };
  const pressEnd = () => {
    if (pressTimer.current) clearTimeout(pressTimer.current);
    pressTimer.current = null;
  };
  const offered = interruptOffered && running !== undefined && canSend;

  return (
    <form
      // Which session's draft this is: text typed before a switch lands stays with the session it was typed for.
      data-session-id={sessionId ?? undefined}
      className="shrink-0 border-t bg-background px-2 pt-2 pr-[max(env(safe-area-inset-right),0.5rem)] pb-[max(env(safe-area-inset-bottom),0.5rem)] pl-[max(env(safe-area-inset-left),0.5rem)]"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      {/* Past idle, the recorder has loaded: the details read it. */}
      {phase === "error" && recorder.actor ? (
        <Part
          failed={failedLine("Voice input stopped, and its message could not load.", "mx-auto mb-2 max-w-3xl px-2")}
        >
          <VoiceNotice recorder={recorder.actor} />
        </Part>
      ) : null}
      {imageNote ? (
        <p className="mx-auto mb-1 w-full max-w-3xl px-2 text-destructive text-sm" role="alert">
          {imageNote}
        </p>
      ) : null}
      <ComposerImages images={images} onRemove={removeImage} />
      {preparing > 0 ? (
        <p className="mx-auto mb-1 w-full max-w-3xl px-2 text-muted-foreground text-sm" role="status">
          Preparing {preparing === 1 ? "the image" : `${preparing} images`}…
        </p>
      ) : null}
      <div className="relative mx-auto flex w-full max-w-3xl items-end gap-1.5">
        {suggesting ? (
          // The list's chunk is fetched at the first tap or key (prefetchSheets): by a `/` it is here.
          // Typed out in full, a command still works without the list.
          <Part failed={failedLine("The command list could not load.", `${FLOATING_LIST} px-3 py-1`)}>
            <SlashSuggestions
              state={commands.state}
              matches={matches}
              active={active}
              onChoose={chooseCommand}
              onRetry={commands.retry}
            />
          </Part>
        ) : null}
        <MicButton recorder={recorder} disabled={sessionId === null} />
        <Button
          type="button"
          variant="ghost"
          size="icon"
          aria-label="Attach images"
          title="Attach photos or screenshots"
          className="shrink-0 rounded-full"
          disabled={sessionId === null || capturing || images.length >= LIMITS.attachments}
          onClick={() => fileInput.current?.click()}
        >
          <ImageIcon className="size-5" />
        </Button>
        {/* The phone offers its camera and its photo library for image/* (no `capture`: that would skip the library). */}
        <input
          ref={fileInput}
          type="file"
          accept="image/*"
          multiple
          hidden
          data-testid="image-input"
          onChange={(event) => {
            const files = [...(event.target.files ?? [])];
            event.target.value = "";
            void addFiles(files);
          }}
        />
        <div className="relative min-w-0 flex-1">
          <textarea
            ref={field}
            aria-label="Message"
            rows={1}
            value={text}
            placeholder={sessionId ? "Message Claude…" : "Start a session first"}
            disabled={sessionId === null}
            enterKeyHint={enterAddsLine ? "enter" : "send"}
            autoComplete="off"
            spellCheck
            aria-autocomplete="list"
            aria-controls={suggesting && matches.length ? SUGGESTIONS_ID : undefined}
            aria-activedescendant={suggesting && activeCommand ? optionId(activeCommand.name) : undefined}
            onChange={(event) => {
              setText(event.target.value);
              setActiveOption(0);
            }}
            onPaste={(event) => {
              const files = [...event.clipboardData.files].filter((file) => file.type.startsWith("image/"));
              if (files.length === 0) return;
              event.preventDefault();
              void addFiles(files);
            }}
            onKeyDown={(event) => {
              if (suggesting && !event.nativeEvent.isComposing) {
                if (event.key === "Escape") {
                  event.preventDefault();
                  setDismissedAt(text);
                  return;
                }
                if (matches.length > 0) {
                  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
                    event.preventDefault();
                    const step = event.key === "ArrowDown" ? 1 : -1;
                    setActiveOption((active + step + matches.length) % matches.length);
                    return;
                  }
                  if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
                    if (activeCommand) {
                      event.preventDefault();
                      chooseCommand(activeCommand);
                      return;
                    }
                  }
                }
              }
              if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
              if (enterAddsLine) return;
              event.preventDefault();
              send();
            }}
            className={`block h-12 max-h-[200px] min-h-12 w-full resize-none overflow-y-hidden rounded-3xl border border-input bg-card px-4 py-3 text-base leading-6 placeholder:text-muted-foreground focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none disabled:opacity-60 ${capturing ? "invisible" : ""}`}
          />
          {/* While dictating the strip covers the field, which stays in place (invisible) with its caret. */}
          {capturing && recorder.actor ? (
            // The recording goes on without its strip, and Cancel stays beside it.
            <Part
              loading={<div className={STRIP_PLACE} aria-hidden="true" />}
              failed={failedLine("The recording display could not load.", `${STRIP_PLACE} px-3`)}
            >
              <RecordingStrip recorder={recorder.actor} />
            </Part>
          ) : null}
        </div>
        {capturing ? (
          <CancelVoiceButton recorder={recorder} />
        ) : (
          <>
            {/* Stop stays while the agent works, whatever the composer holds. */}
            {running ? (
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
            ) : null}
            {!running || !empty ? (
              <div className="relative">
                {offered ? (
                  <div className="absolute right-0 bottom-full z-10 mb-2 w-max rounded-xl border bg-card p-1 shadow-lg">
                    <Button
                      type="button"
                      variant="ghost"
                      className="h-11 w-full justify-start px-3"
                      onClick={interruptAndSend}
                      onBlur={() => setInterruptOffered(false)}
                      onKeyDown={(event) => {
                        if (event.key === "Escape") setInterruptOffered(false);
                      }}
                      autoFocus
                    >
                      Interrupt and send
                    </Button>
                  </div>
                ) : null}
                <Button
                  type="submit"
                  size="icon"
                  aria-label="Send"
                  title={running ? "Queued after the current turn. Long-press to interrupt and send." : undefined}
                  className="rounded-full"
                  disabled={!canSend}
                  onPointerDown={pressStart}
                  onPointerUp={pressEnd}
                  onPointerLeave={pressEnd}
                  onClick={(event) => {
                    if (longPressed.current) event.preventDefault();
                    longPressed.current = false;
                  }}
                  onContextMenu={(event) => {
                    if (!running) return;
                    event.preventDefault();
                    offerInterrupt();
                  }}
                >
                  <SendIcon />
                </Button>
              </div>
            ) : null}
          </>
        )}
      </div>
    </form>
  );
}
