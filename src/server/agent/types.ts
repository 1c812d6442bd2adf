import type { ErrorCode, ImageMediaType, PermissionMode, SlashCommand, TurnUsage } from "../../shared/messages.ts";

/**
 * The seam between the session service and whatever runs the agent. The
 * production runner drives the real Claude Code CLI through the Agent SDK;
 * tests may swap in an in-process fake. Nothing above this interface knows
 * about the SDK.
 */
export interface AgentRunner {
  /** Starts (or prepares to lazily start) one long-lived agent process for a session. */
  start(options: AgentStartOptions): AgentProcess;
  /** Drops what the runner keeps of a conversation (its mirrored transcript): its session was deleted. */
  forgetConversation?(claudeSessionId: string): void;
}

export interface AgentStartOptions {
  /** Claude Code's own session id to resume, when the session has talked before. */
  resumeSessionId?: string;
  model: string;
  cwd: string;
  permissionMode: PermissionMode;
  /**
   * Asked before a tool that needs approval runs (Claude Code's `canUseTool`).
   * Without it such tools are denied. The promise may stay pending as long as
   * the user takes; `ask.signal` aborts when the turn is interrupted.
   */
  askPermission?: (ask: PermissionAsk) => Promise<PermissionAnswer>;
}

export interface PermissionAsk {
  toolName: string;
  input: Record<string, unknown>;
  toolUseId: string;
  title?: string;
  description?: string;
  decisionReason?: string;
  blockedPath?: string;
  /** Opaque permission updates ("always allow" rules) Claude Code suggests. */
  suggestions: unknown[];
  signal: AbortSignal;
}

export type PermissionAnswer =
  | { behavior: "allow"; updatedInput?: Record<string, unknown>; updatedPermissions?: unknown[] }
  | { behavior: "deny"; message: string };

/** What the agent reports while a turn runs, in order. */
export type AgentTurnEvent =
  /** One complete agent message (system, assistant, user/tool result, result…) as plain JSON. */
  | { kind: "message"; message: Record<string, unknown> }
  /** A piece of assistant text as it streams. */
  | { kind: "delta"; text: string };

export type TurnOutcome =
  | { ok: true; text: string; claudeSessionId: string; costUsd?: number; usage?: TurnUsage }
  | {
      ok: false;
      code: ErrorCode;
      message: string;
      /** A rate or usage limit: when it resets (ISO), if the API said. */
      resetsAt?: string;
      claudeSessionId?: string;
      /** The conversation to resume exists nowhere (no transcript file, no mirror): start a new one. */
      conversationMissing?: boolean;
    };

/** An image sent with a prompt; its type was checked from its bytes. */
export interface AgentImage {
  mediaType: ImageMediaType;
  data: Uint8Array;
}

export interface AgentProcess {
  /**
   * Runs one user turn and resolves when it ends. Never rejects: every failure
   * (API error, crash, interrupt) becomes a `TurnOutcome` with a code. Only one
   * turn runs at a time; the caller queues. `images` go to the model before the text.
   */
  runTurn(
    prompt: string,
    onEvent: (event: AgentTurnEvent) => void,
    images?: readonly AgentImage[],
  ): Promise<TurnOutcome>;
  /** The slash commands this agent offers (starting it if needed); rejects when it cannot tell. */
  supportedCommands?(): Promise<SlashCommand[]>;
  /** Stops the running turn quickly; its `runTurn` resolves with code `CANCELLED`. */
  interrupt(): Promise<void>;
  /** Ends the process. A later turn needs a new `start` (with `resumeSessionId`). */
  close(): Promise<void>;
  /** False once the process has exited or crashed; the caller then starts a new one. */
  readonly alive: boolean;
}
