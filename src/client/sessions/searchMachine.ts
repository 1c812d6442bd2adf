/**
 * Searching the sessions list: what is typed is asked of the server (`session:search`, titles and
 * messages) once typing pauses; the list meanwhile filters by title on the device. A newer query
 * replaces an older one in flight (its reply is dropped with its actor).
 *
 * idle ─TYPE→ waiting ─(pause)→ searching ─→ found | failed;  CLEAR → idle from anywhere.
 */
import { assign, fromPromise, setup } from "xstate";
import type { ServerPayload } from "../../shared/messages.ts";
import { type ClientError, requestReply, toClientError } from "../connection/request.ts";
import type { ChatSocket } from "../connection/socket.ts";

export const SEARCH_PAUSE_MS = 250;

export interface SearchContext {
  socket: ChatSocket;
  timeoutMs: number;
  query: string;
  /** The server's answer for `query` (null until it comes). */
  results: ServerPayload<"session:found">["results"] | null;
  error: ClientError | null;
}

export type SearchEvent = { type: "TYPE"; query: string } | { type: "CLEAR" };

export const searchSessions = fromPromise<
  ServerPayload<"session:found">["results"],
  { socket: ChatSocket; timeoutMs: number; query: string }
>(async ({ input, signal }) => {
  const reply = await requestReply(input.socket, {
    event: "session:search",
    payload: { query: input.query, requestId: crypto.randomUUID() },
    reply: "session:found",
    timeoutMs: input.timeoutMs,
    signal,
  });
  return reply.results;
});

export const searchMachine = setup({
  types: {
    context: {} as SearchContext,
    events: {} as SearchEvent,
    input: {} as { socket: ChatSocket; timeoutMs?: number },
  },
  actors: { searchSessions },
  delays: { pause: SEARCH_PAUSE_MS },
  guards: {
    blank: ({ event }) => event.type === "TYPE" && event.query.trim() === "",
  },
}).createMachine({
  id: "sessionSearch",
  context: ({ input }) => ({
    socket: input.socket,
    timeoutMs: input.timeoutMs ?? 15_000,
    query: "",
    results: null,
    error: null,
  }),
  initial: "idle",
  on: {
    TYPE: [
      { guard: "blank", target: ".idle", actions: assign({ query: "", results: null, error: null }) },
      {
        target: ".waiting",
        reenter: true,
        actions: assign(({ event }) => ({ query: event.query.trim(), results: null, error: null })),
      },
    ],
    CLEAR: { target: ".idle", actions: assign({ query: "", results: null, error: null }) },
  },
  states: {
    idle: {},
    waiting: { after: { pause: "searching" } },
    searching: {
      invoke: {
        src: "searchSessions",
        input: ({ context }) => ({ socket: context.socket, timeoutMs: context.timeoutMs, query: context.query }),
        onDone: { target: "found", actions: assign(({ event }) => ({ results: event.output })) },
        onError: { target: "failed", actions: assign(({ event }) => ({ error: toClientError(event.error) })) },
      },
    },
    found: {},
    failed: {},
  },
});
