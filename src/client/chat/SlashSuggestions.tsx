/**
 * The composer's `/` suggestions: the commands the agent offers in this session (`commands:list`),
 * as a listbox the message field controls (combobox pattern: the field keeps focus, arrows move
 * the active option, Enter or Tab chooses, Escape closes).
 */
import { useEffect, useRef, useState } from "react";
import type { SlashCommand } from "../../shared/messages.ts";
import type { ClientError } from "../connection/request.ts";
import { requestReply, toClientError } from "../connection/request.ts";
import type { ChatSocket } from "../connection/socket.ts";
import { SpinnerIcon } from "../ui/icons.tsx";

export const SUGGESTIONS_ID = "slash-suggestions";
export const optionId = (name: string) => `slash-option-${name.replace(/[^a-zA-Z0-9_-]/g, "_")}`;

type CommandsState =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "ready"; commands: SlashCommand[] }
  | { status: "error"; error: ClientError };

/** The session's commands, asked for once it is wanted (the first `/`), then kept for the session. */
export function useSessionCommands(socket: ChatSocket, sessionId: string | null, wanted: boolean) {
  const [state, setState] = useState<{ sessionId: string | null; value: CommandsState; attempt: number }>({
    sessionId,
    value: { status: "idle" },
    attempt: 0,
  });
  const current = state.sessionId === sessionId ? state : { sessionId, value: { status: "idle" } as const, attempt: 0 };
  if (current !== state) setState(current);
  const { attempt } = current;
  // The request asked for (session and attempt): state changes while it runs must not ask again.
  const asked = useRef<string | null>(null);

  useEffect(() => {
    if (!wanted || sessionId === null) return;
    const key = `${sessionId}:${attempt}`;
    if (asked.current === key) return;
    asked.current = key;
    const settle = (value: CommandsState) =>
      setState((previous) =>
        previous.sessionId === sessionId && previous.attempt === attempt ? { ...previous, value } : previous,
      );
    settle({ status: "loading" });
    // Listing may start the agent (its start-up is part of the wait); the timeout bounds it.
    requestReply(socket, {
      event: "commands:list",
      payload: { sessionId, requestId: crypto.randomUUID() },
      reply: "commands:result",
      timeoutMs: 40_000,
    }).then(
      (result) => settle({ status: "ready", commands: result.commands }),
      (error: unknown) => settle({ status: "error", error: toClientError(error) }),
    );
  }, [wanted, socket, sessionId, attempt]);

  const retry = () =>
    setState((previous) => ({ ...previous, value: { status: "idle" }, attempt: previous.attempt + 1 }));
  return { state: current.value, retry };
}

export function SlashSuggestions({
  state,
  matches,
  active,
  onChoose,
  onRetry,
}: {
  state: CommandsState;
  matches: SlashCommand[];
  active: number;
  onChoose: (command: SlashCommand) => void;
  onRetry: () => void;
}) {
  const shell =
    "absolute right-0 bottom-full left-0 z-20 mb-2 max-h-[min(50vh,320px)] overflow-y-auto rounded-2xl border bg-card p-1 shadow-lg";
  if (state.status === "loading" || state.status === "idle") {
    return (
      <div className={shell}>
        <p className="flex items-center gap-2 px-3 py-3 text-muted-foreground text-sm" role="status">
          <SpinnerIcon className="size-4" /> Loading the agent's commands…
        </p>
      </div>
    );
  }
  if (state.status === "error") {
    return (
      <div className={shell} role="alert">
        <p className="px-3 pt-2 text-sm">Couldn't load the commands. {state.error.message}</p>
        <button type="button" className="h-11 px-3 font-medium text-primary text-sm underline" onClick={onRetry}>
          Try again
        </button>
      </div>
    );
  }
  return (
    <div className={shell}>
      {matches.length === 0 ? (
        <p className="px-3 py-3 text-muted-foreground text-sm" role="status">
          No command matches. Send it as it is, or keep typing.
        </p>
      ) : null}
      <div id={SUGGESTIONS_ID} role="listbox" aria-label="Commands">
        {matches.map((command, index) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the field owns the keyboard (combobox); a click or tap chooses here
          <div
            key={command.name}
            id={optionId(command.name)}
            role="option"
            tabIndex={-1}
            aria-selected={index === active}
            // Keep the focus in the field: choosing must not blur it (the keyboard would close on a phone).
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => onChoose(command)}
            className={`flex min-h-11 cursor-pointer flex-col justify-center rounded-xl px-3 py-1.5 ${index === active ? "bg-accent text-accent-foreground" : ""}`}
          >
            <span className="flex min-w-0 items-baseline gap-1.5">
              <span className="shrink-0 font-medium font-mono text-sm">/{command.name}</span>
              {command.argumentHint ? (
                <span className="truncate font-mono text-muted-foreground text-xs">{command.argumentHint}</span>
              ) : null}
            </span>
            {command.description ? (
              <span className="line-clamp-2 text-muted-foreground text-xs">{command.description}</span>
            ) : null}
          </div>
        ))}
      </div>
    </div>
  );
}
