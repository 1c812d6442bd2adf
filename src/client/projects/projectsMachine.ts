/**
 * The projects sheet's machine: the projects list (`project:list`) and, for the project open in
 * the sheet, Claude Code's sessions there (`project:sessions`, a page at a time).
 *
 * Two parallel regions. `list`: loading → ready | failed; while some git work tree's dirty state
 * is still unknown (the server finds it in the background), it asks again a few times. `claude`:
 * idle until a project is opened, then loading → ready (→ loadingMore → ready) | failed. Replies
 * for a project that is no longer open are dropped.
 */
import { assign, fromPromise, setup } from "xstate";
import { onMachine } from "../../shared/machines.ts";
import type { ClaudeSession, Project, ServerPayload } from "../../shared/messages.ts";
import { type ClientError, requestReply, toClientError } from "../connection/request.ts";
import type { ChatSocket } from "../connection/socket.ts";

export const CLAUDE_PAGE = 30;
/** How long to wait before asking again while dirty states are unknown, and how many times. */
export const DIRTY_RETRY_MS = 1_500;
export const DIRTY_RETRIES = 4;

export interface ProjectsContext {
  socket: ChatSocket;
  timeoutMs: number;
  /** The machine whose projects these are (`local`: this server). */
  machineId: string;
  projects: Project[] | null;
  listError: ClientError | null;
  /** Lists asked for since the sheet opened (to stop asking again for dirty states). */
  listRounds: number;
  /** The project open in the sheet. */
  path: string | null;
  claudeSessions: ClaudeSession[];
  hasMore: boolean;
  claudeError: ClientError | null;
}

export type ProjectsEvent =
  | { type: "REFRESH" }
  | { type: "OPEN_PROJECT"; path: string }
  | { type: "CLOSE_PROJECT" }
  | { type: "LOAD_MORE" }
  | { type: "REFRESH_SESSIONS" };

interface RequestInput {
  socket: ChatSocket;
  timeoutMs: number;
  machineId: string;
}

export const listProjects = fromPromise<Project[], RequestInput>(async ({ input, signal }) => {
  const reply = await requestReply(input.socket, {
    event: "project:list",
    payload: { ...onMachine(input.machineId), requestId: crypto.randomUUID() },
    reply: "project:list",
    timeoutMs: input.timeoutMs,
    signal,
  });
  return reply.projects;
});

export const listClaudeSessions = fromPromise<
  ServerPayload<"project:sessions"> & { offset: number },
  RequestInput & { path: string; offset: number }
>(async ({ input, signal }) => {
  const reply = await requestReply(input.socket, {
    event: "project:sessions",
    payload: {
      path: input.path,
      limit: CLAUDE_PAGE,
      offset: input.offset,
      ...onMachine(input.machineId),
      requestId: crypto.randomUUID(),
    },
    reply: "project:sessions",
    timeoutMs: input.timeoutMs,
    signal,
  });
  return { ...reply, offset: input.offset };
});

const dirtyUnknown = (projects: Project[] | null) => projects?.some((p) => p.isGit && p.dirty === undefined) ?? false;

export const projectsMachine = setup({
  types: {
    context: {} as ProjectsContext,
    events: {} as ProjectsEvent,
    input: {} as { socket: ChatSocket; timeoutMs?: number; path?: string | null; machineId?: string },
  },
  actors: { listProjects, listClaudeSessions },
  delays: { dirtyRetry: DIRTY_RETRY_MS },
  guards: {
    dirtyStillUnknown: ({ context }) => context.listRounds < DIRTY_RETRIES && dirtyUnknown(context.projects),
    hasMore: ({ context }) => context.hasMore,
    projectOpen: ({ context }) => context.path !== null,
  },
}).createMachine({
  id: "projects",
  type: "parallel",
  context: ({ input }) => ({
    socket: input.socket,
    timeoutMs: input.timeoutMs ?? 15_000,
    machineId: input.machineId ?? "local",
    projects: null,
    listError: null,
    listRounds: 0,
    path: input.path ?? null,
    claudeSessions: [],
    hasMore: false,
    claudeError: null,
  }),
  states: {
    list: {
      initial: "loading",
      states: {
        loading: {
          entry: assign(({ context }) => ({ listRounds: context.listRounds + 1 })),
          invoke: {
            src: "listProjects",
            input: ({ context }) => ({
              socket: context.socket,
              timeoutMs: context.timeoutMs,
              machineId: context.machineId,
            }),
            onDone: { target: "ready", actions: assign(({ event }) => ({ projects: event.output, listError: null })) },
            onError: { target: "failed", actions: assign(({ event }) => ({ listError: toClientError(event.error) })) },
          },
        },
        ready: {
          after: { dirtyRetry: { guard: "dirtyStillUnknown", target: "loading" } },
          on: { REFRESH: { target: "loading", actions: assign({ listRounds: 0 }) } },
        },
        failed: { on: { REFRESH: { target: "loading", actions: assign({ listRounds: 0 }) } } },
      },
    },
    claude: {
      initial: "check",
      on: {
        OPEN_PROJECT: {
          target: ".loading",
          reenter: true,
          actions: assign(({ event }) => ({ path: event.path, claudeSessions: [], hasMore: false, claudeError: null })),
        },
        CLOSE_PROJECT: {
          target: ".idle",
          actions: assign({ path: null, claudeSessions: [], hasMore: false, claudeError: null }),
        },
      },
      states: {
        check: { always: [{ guard: "projectOpen", target: "loading" }, { target: "idle" }] },
        idle: {},
        loading: {
          invoke: {
            src: "listClaudeSessions",
            input: ({ context }) => ({
              socket: context.socket,
              timeoutMs: context.timeoutMs,
              machineId: context.machineId,
              path: context.path ?? "",
              offset: 0,
            }),
            onDone: {
              target: "ready",
              actions: assign(({ event }) => ({
                claudeSessions: event.output.sessions,
                hasMore: event.output.hasMore,
                claudeError: null,
              })),
            },
            onError: {
              target: "failed",
              actions: assign(({ event }) => ({ claudeError: toClientError(event.error) })),
            },
          },
        },
        ready: {
          on: {
            LOAD_MORE: { guard: "hasMore", target: "loadingMore" },
            REFRESH_SESSIONS: { target: "loading" },
          },
        },
        loadingMore: {
          invoke: {
            src: "listClaudeSessions",
            input: ({ context }) => ({
              socket: context.socket,
              timeoutMs: context.timeoutMs,
              machineId: context.machineId,
              path: context.path ?? "",
              offset: context.claudeSessions.length,
            }),
            onDone: {
              target: "ready",
              actions: assign(({ context, event }) => {
                const known = new Set(context.claudeSessions.map((s) => s.claudeSessionId));
                return {
                  claudeSessions: [
                    ...context.claudeSessions,
                    ...event.output.sessions.filter((s) => !known.has(s.claudeSessionId)),
                  ],
                  hasMore: event.output.hasMore,
                };
              }),
            },
            onError: {
              target: "ready",
              actions: assign(({ event }) => ({ claudeError: toClientError(event.error) })),
            },
          },
        },
        failed: { on: { REFRESH_SESSIONS: { target: "loading" } } },
      },
    },
  },
});
