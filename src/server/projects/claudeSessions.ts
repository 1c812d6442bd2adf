/**
 * Claude Code's own sessions, read through the Agent SDK (`listSessions`, `getSessionMessages`,
 * `forkSession`, `importSessionToStore`): Pocket Agent never parses Claude Code's transcripts
 * itself. The SDK reads them from the config dir of this process's environment
 * (`CLAUDE_CONFIG_DIR`, else `~/.claude`), the same one the agent processes it starts inherit.
 *
 * Which sessions a `claude` process at the desk holds right now, the SDK does not say. Claude Code
 * 2.1 registers each running process as `<config dir>/sessions/<pid>.json`
 * (`{ pid, sessionId, cwd, kind, … }`, removed when it exits); that small file is read here, and
 * the pid checked to be alive.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  forkSession,
  getSessionMessages,
  importSessionToStore,
  listSessions,
  type SDKSessionInfo,
  type SessionStore,
} from "@anthropic-ai/claude-agent-sdk";
import { isAlive } from "../processAlive.ts";
import type { TranscriptMessage } from "./history.ts";

export type ClaudeSessionInfo = Pick<
  SDKSessionInfo,
  "sessionId" | "summary" | "lastModified" | "firstPrompt" | "gitBranch" | "cwd" | "customTitle"
>;

/** The seam to Claude Code's sessions (the SDK in production; tests of the cache may pass their own). */
export interface ClaudeSessions {
  /** Every interactive session in every project (programmatic ones left out, as `/resume` does). */
  listAll(): Promise<ClaudeSessionInfo[]>;
  /** The interactive sessions started in `dir` (not its worktrees: each is a project of its own). */
  listIn(dir: string): Promise<ClaudeSessionInfo[]>;
  /** The session's conversation, oldest first. */
  messages(sessionId: string, dir: string): Promise<TranscriptMessage[]>;
  /** Copies the session into a new one (new ids); the original is not touched. Returns the copy's id. */
  fork(sessionId: string, dir: string): Promise<string>;
  /** Ids of the sessions a live `claude` process holds. */
  heldByLiveProcess(): Set<string>;
  /** Copies a session's transcript into a SessionStore (the server's mirror, decision 019). */
  copyToStore?(sessionId: string, dir: string, store: SessionStore): Promise<void>;
}

/** Session ids held by live `claude` processes, from the CLI's process registry in `configDir`. */
export function liveSessionIds(configDir: string): Set<string> {
  const held = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(join(configDir, "sessions"));
  } catch {
    return held;
  }
  for (const name of names) {
    if (!/^\d+\.json$/.test(name)) continue;
    try {
      const entry: unknown = JSON.parse(readFileSync(join(configDir, "sessions", name), "utf8"));
      if (typeof entry !== "object" || entry === null) continue;
      const { pid, sessionId } = entry as { pid?: unknown; sessionId?: unknown };
      if (typeof pid === "number" && typeof sessionId === "string" && isAlive(pid)) held.add(sessionId);
    } catch {
      // being written or removed right now: its process is starting or gone
    }
  }
  return held;
}

/** The SDK-backed source, reading sessions of the Claude Code config dir `configDir`. */
export function sdkClaudeSessions(configDir: string): ClaudeSessions {
  return {
    listAll: () => listSessions({ includeProgrammatic: false }),
    listIn: (dir) => listSessions({ dir, includeProgrammatic: false, includeWorktrees: false }),
    messages: async (sessionId, dir) => (await getSessionMessages(sessionId, { dir })) as TranscriptMessage[],
    fork: async (sessionId, dir) => (await forkSession(sessionId, { dir })).sessionId,
    heldByLiveProcess: () => liveSessionIds(configDir),
    copyToStore: (sessionId, dir, store) => importSessionToStore(sessionId, store, { dir, includeSubagents: true }),
  };
}
