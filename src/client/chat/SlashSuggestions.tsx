/**
 * The composer's `/` suggestions: the commands the agent offers in this session (`commands:list`),
 * as a listbox the message field controls (combobox pattern: the field keeps focus, arrows move
 * the active option, Enter or Tab chooses, Escape closes). The list itself is its own chunk
 * (SlashSuggestionList.tsx): most visits never type a `/`.
 */
import { useEffect, useRef, useState } from "react";
import type { SlashCommand } from "../../shared/messages.ts";
import type { ClientError } from "../connection/request.ts";
import { requestReply, toClientError } from "../connection/request.ts";
import type { ChatSocket } from "../connection/socket.ts";
import { chunk } from "../ui/chunk.ts";
import { lazyPart } from "../ui/lazyPart.tsx";

export const SUGGESTIONS_ID = "slash-suggestions";
export const optionId = (name: string) => `slash-option-${name.replace(/[^a-zA-Z0-9_-]/g, "_")}`;

export type CommandsState =
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

export const slashSuggestions = chunk(() => import("./SlashSuggestionList.tsx"));
export const SlashSuggestions = lazyPart(slashSuggestions, (m) => m.SlashSuggestionList);
