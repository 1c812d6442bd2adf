/**
 * The production AgentRunner: drives the real Claude Code CLI through the
 * Agent SDK's `query()` in streaming-input mode, so one warm CLI process
 * serves every turn of a session.
 *
 * Behaviour of Claude Code 2.1.332 (SDK 0.3.332) this module relies on,
 * observed against tests/fixtures/fakeAnthropic.ts:
 * - Each turn ends with exactly one `result` message. The CLI also emits a
 *   `system/init` at the start of every turn and `system/status` messages.
 * - API failures end the turn with `subtype: "success"`, `is_error: true`,
 *   the text in `result`, and a synthetic assistant message whose `error`
 *   field names the class (with CLAUDE_CODE_MAX_RETRIES=0):
 *     500 → error "server_error", "API Error: 500 Internal server error. This is a server-side issue, …"
 *     529 → error "server_error", "API Error: 529 Overloaded. This is a server-side issue, …"
 *     401 → error "authentication_failed", "Invalid API key · Fix external API key"
 *     429 → error "rate_limit", "API Error: Request rejected (429) · Rate limit exceeded"
 *     hang past API_TIMEOUT_MS → error "server_error",
 *       "Request timed out. If the API is slow to answer, … set API_TIMEOUT_MS above N."
 *     no key, no login → "Not logged in · Please run /login"
 *   so the code is chosen from the text first and the `error` field second.
 * - `maxTurns` reached → `subtype: "error_max_turns"`, `errors: ["Reached maximum number of turns (N)"]`.
 * - `query.interrupt()` → a user message "[Request interrupted by user]", then a result with
 *   `subtype: "error_during_execution"`; the process stays alive and takes the next turn.
 * - The CLI killed by a signal → the SDK iterator throws "Claude Code process terminated by
 *   signal SIGKILL" a few ms after the exit.
 * - `resume` of an id the CLI has no transcript for → a result `error_during_execution` with
 *   `errors: ["No conversation found with session ID: …"]`, then the CLI exits with code 1.
 *   A resume keeps the session id.
 * - The child is spawned here (`spawnClaudeCodeProcess`, the same spawn the SDK does) so its pid,
 *   exit and stderr are ours; the SDK's own `stderr` option is not called with a custom spawn.
 * - `total_cost_usd` on a result is cumulative for the process, and a resumed session starts from
 *   the total its transcript saved; results also carry an untyped `model_usage_since_last_result`
 *   (per model, with `costUSD`) that holds just this turn.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  type Options,
  type PermissionResult,
  type PermissionUpdate,
  type Query,
  query,
  type SDKMessage,
  type SDKResultMessage,
  type SDKUserMessage,
  type SpawnedProcess,
  type SpawnOptions,
} from "@anthropic-ai/claude-agent-sdk";
import type { ErrorCode, SlashCommand, TurnUsage } from "../../shared/messages.ts";
import { createLogger } from "../logger.ts";
import { withoutSecrets } from "../secrets.ts";
import { claudeConfigDir, type TranscriptMirror } from "./transcriptMirror.ts";
import type { AgentImage, AgentProcess, AgentRunner, AgentStartOptions, AgentTurnEvent, TurnOutcome } from "./types.ts";

const log = createLogger("agent");

/** After the child exits, how long the SDK gets to hand over its last messages before the turn is failed. */
const EXIT_GRACE_MS = 250;
/** How much of the stderr tail goes into a crash message. */
const CRASH_STDERR_CHARS = 2_000;
/** How long listing the commands may take, the CLI's start-up included. */
const COMMANDS_TIMEOUT_MS = 30_000;

/**
 * The user message for a prompt: plain text, or image blocks (base64, the only form the CLI's
 * stream-json input takes for bytes) followed by the text, as the Messages API expects them.
 */
export function userContent(prompt: string, images: readonly AgentImage[] = []): SDKUserMessage["message"]["content"] {
  if (images.length === 0) return prompt;
  const blocks: Exclude<SDKUserMessage["message"]["content"], string> = images.map((image) => ({
    type: "image" as const,
    source: { type: "base64" as const, media_type: image.mediaType, data: Buffer.from(image.data).toString("base64") },
  }));
  if (prompt) blocks.push({ type: "text", text: prompt });
  return blocks;
}

export interface SdkRunnerOptions {
  /** Model round trips allowed per user turn (Claude Code has no limit of its own). */
  maxTurns?: number;
  /** Extra environment for the CLI, over `process.env` (`undefined` removes a variable). */
  env?: Record<string, string | undefined>;
  /** A `claude` executable to run instead of the one bundled with the SDK. */
  pathToClaudeCodeExecutable?: string;
  /** How much of the CLI's stderr to keep for crash messages (bytes of text, default 8 KB). */
  stderrLimit?: number;
  /** After `interrupt()`, how long the CLI gets to end the turn before it is killed (default 3 s). */
  interruptGraceMs?: number;
  /** How long `close()` waits for a graceful exit before killing (default 3 s). */
  closeTimeoutMs?: number;
  /** Called with the CLI child's pid each time one is spawned. */
  onSpawn?: (pid: number) => void;
  /** Mirrors every transcript, and resumes from it when the CLI's own file is gone (decision 019). */
  transcripts?: TranscriptMirror;
}

/** The runner's processes expose a little more than `AgentProcess`, for tests and logs. */
export interface SdkAgentProcess extends AgentProcess {
  /** The CLI child's pid once spawned (spawning is lazy: on the first `runTurn`). */
  readonly pid: number | undefined;
  /** Claude Code's session id, once the CLI has reported it. */
  readonly claudeSessionId: string | undefined;
  /** The last few KB the CLI wrote to stderr. */
  readonly stderrTail: string;
}

export interface SdkRunner extends AgentRunner {
  start(options: AgentStartOptions): SdkAgentProcess;
}

export function createSdkRunner(options: SdkRunnerOptions = {}): SdkRunner {
  return {
    start(startOptions) {
      return new SdkProcess(options, startOptions);
    },
    forgetConversation(claudeSessionId) {
      options.transcripts?.forget(claudeSessionId);
    },
  };
}

// ---------------------------------------------------------------------------
// Approvals
// ---------------------------------------------------------------------------

type CanUseToolContext = Parameters<NonNullable<Options["canUseTool"]>>[2];

/** Bridges the SDK's `canUseTool` to the runner-neutral `askPermission`. */
async function askToCanUseTool(
  ask: NonNullable<AgentStartOptions["askPermission"]>,
  toolName: string,
  input: Record<string, unknown>,
  context: CanUseToolContext,
): Promise<PermissionResult> {
  const answer = await ask({
    toolName,
    input,
    toolUseId: context.toolUseID,
    title: context.title,
    description: context.description,
    decisionReason: context.decisionReason,
    blockedPath: context.blockedPath,
    suggestions: context.suggestions ?? [],
    signal: context.signal,
  });
  if (answer.behavior === "deny") return { behavior: "deny", message: answer.message };
  return {
    behavior: "allow",
    updatedInput: answer.updatedInput ?? input,
    // The suggestions came from the CLI itself; they are handed back unchanged.
    ...(answer.updatedPermissions ? { updatedPermissions: answer.updatedPermissions as PermissionUpdate[] } : {}),
  };
}

// ---------------------------------------------------------------------------
// Classifying failures
// ---------------------------------------------------------------------------

/**
 * The error code for a failed turn, from the result text (and the `error`
 * field of the CLI's synthetic assistant message, when there was one).
 */
export function classifyFailure(text: string, assistantError?: string): ErrorCode {
  if (/not logged in|please run \/login/i.test(text)) return "AGENT_NOT_LOGGED_IN";
  if (assistantError === "authentication_failed" || /invalid api key|\b401\b|authentication/i.test(text)) {
    return "API_AUTH_FAILED";
  }
  if (/usage limit|hit your limit/i.test(text)) return "API_USAGE_LIMIT";
  if (assistantError === "rate_limit" || /\b429\b|rate limit/i.test(text)) return "API_RATE_LIMITED";
  if (assistantError === "overloaded" || /\b529\b|overloaded/i.test(text)) return "API_OVERLOADED";
  if (/timed out|timeout/i.test(text)) return "API_TIMEOUT";
  return "API_ERROR";
}

// ---------------------------------------------------------------------------
// The input stream: one SDKUserMessage at a time
// ---------------------------------------------------------------------------

class InputChannel implements AsyncIterable<SDKUserMessage> {
  private readonly buffered: SDKUserMessage[] = [];
  private waiting: ((result: IteratorResult<SDKUserMessage>) => void) | undefined;
  private ended = false;

  push(message: SDKUserMessage): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: message, done: false });
    } else this.buffered.push(message);
  }

  /** Takes back a message the SDK has not read yet; true when it was still here. */
  withdraw(message: SDKUserMessage): boolean {
    const index = this.buffered.indexOf(message);
    if (index < 0) return false;
    this.buffered.splice(index, 1);
    return true;
  }

  end(): void {
    this.ended = true;
    this.buffered.length = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<SDKUserMessage> {
    return {
      next: () => {
        const message = this.buffered.shift();
        if (message) return Promise.resolve({ value: message, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

// ---------------------------------------------------------------------------
// One CLI process
// ---------------------------------------------------------------------------

interface Turn {
  input: SDKUserMessage;
  onEvent: (event: AgentTurnEvent) => void;
  resolve: (outcome: TurnOutcome) => void;
  /** Set once `interrupt()` asked for this turn to stop. */
  cancelRequested: boolean;
  /** The `error` field of the last top-level assistant message (API failures). */
  assistantError: string | undefined;
  /** A `rate_limit_event` that refused the account: when its limit resets (ISO). */
  limitResetsAt: string | undefined;
  graceTimer: ReturnType<typeof setTimeout> | undefined;
  done: Promise<void>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class SdkProcess implements SdkAgentProcess {
  private readonly input = new InputChannel();
  private query: Query | undefined;
  private child: ChildProcess | undefined;
  private turn: Turn | undefined;
  private pumpDone: Promise<void> | undefined;
  private childExited: Promise<void> | undefined;
  private stderr = "";
  private sessionId: string | undefined;
  private costBaseline = 0;
  /** False for a resumed session until its first result: its totals start from the transcript's. */
  private costBaselineKnown: boolean;
  private dead = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly runnerOptions: SdkRunnerOptions,
    private readonly startOptions: AgentStartOptions,
  ) {
    this.sessionId = startOptions.resumeSessionId;
    this.costBaselineKnown = !startOptions.resumeSessionId;
  }

  get alive(): boolean {
    return !this.dead && !this.closed;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get claudeSessionId(): string | undefined {
    return this.sessionId;
  }

  get stderrTail(): string {
    return this.stderr;
  }

  async supportedCommands(): Promise<SlashCommand[]> {
    if (this.closed || this.dead) throw new Error("the agent process is not running");
    this.ensureStarted();
    const q = this.query;
    if (!q) throw new Error("the agent process did not start");
    const listed = await withTimeout(q.supportedCommands(), COMMANDS_TIMEOUT_MS, "listing the commands");
    return listed.map((command) => ({
      name: command.name,
      description: command.description,
      argumentHint: command.argumentHint ?? "",
      ...(command.aliases?.length ? { aliases: command.aliases } : {}),
      builtin: command.builtin === true,
    }));
  }

  runTurn(
    prompt: string,
    onEvent: (event: AgentTurnEvent) => void,
    images: readonly AgentImage[] = [],
  ): Promise<TurnOutcome> {
    if (this.closed) return Promise.resolve(this.failure("INTERNAL_ERROR", "The agent process was closed."));
    if (this.dead) return Promise.resolve(this.failure("AGENT_CRASHED", this.crashMessage("it is not running")));
    if (this.turn) return Promise.resolve(this.failure("INTERNAL_ERROR", "A turn is already running."));
    try {
      this.ensureStarted();
    } catch (error) {
      this.dead = true;
      log.error("could not start Claude Code", { error: errorMessage(error) });
      return Promise.resolve(this.failure("AGENT_CRASHED", `Could not start Claude Code: ${errorMessage(error)}`));
    }
    const input: SDKUserMessage = {
      type: "user",
      message: { role: "user", content: userContent(prompt, images) },
      parent_tool_use_id: null,
      uuid: randomUUID(),
    };
    let resolveDone = () => {};
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    return new Promise<TurnOutcome>((resolve) => {
      this.turn = {
        input,
        onEvent,
        resolve: (outcome) => {
          resolveDone();
          resolve(outcome);
        },
        cancelRequested: false,
        assistantError: undefined,
        limitResetsAt: undefined,
        graceTimer: undefined,
        done,
      };
      this.input.push(input);
    });
  }

  async interrupt(): Promise<void> {
    const turn = this.turn;
    if (!turn || turn.cancelRequested) {
      await turn?.done;
      return;
    }
    turn.cancelRequested = true;
    if (this.input.withdraw(turn.input)) {
      // The CLI never saw it.
      this.finishTurn(this.failure("CANCELLED", "Stopped before it started."));
      return;
    }
    const grace = this.runnerOptions.interruptGraceMs ?? 3_000;
    turn.graceTimer = setTimeout(() => {
      if (this.turn !== turn) return;
      log.warn("interrupt did not end the turn in time; killing Claude Code", { pid: this.pid, graceMs: grace });
      this.finishTurn(this.failure("CANCELLED", "Stopped."));
      this.kill();
    }, grace);
    // The control request may never be answered if the CLI dies: the turn ending is what counts.
    const request = this.query?.interrupt().catch((error: unknown) => {
      log.debug("interrupt request failed", { error: errorMessage(error) });
    });
    await Promise.race([request, turn.done]);
    await turn.done;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // -------------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    if (this.turn) await this.interrupt();
    this.closed = true;
    this.input.end();
    if (!this.query) return;
    const timeout = this.runnerOptions.closeTimeoutMs ?? 3_000;
    const exited = Promise.all([this.childExited, this.pumpDone]);
    if (await settlesWithin(exited, timeout)) return;
    log.warn("Claude Code did not exit after its input ended; killing it", { pid: this.pid });
    this.kill();
    await settlesWithin(exited, 2_000);
  }

  private kill(): void {
    this.dead = true;
    try {
      this.query?.close();
    } catch (error) {
      log.debug("query.close failed", { error: errorMessage(error) });
    }
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }

  private ensureStarted(): void {
    if (this.query) return;
    const { model, cwd, permissionMode, resumeSessionId } = this.startOptions;
    const options: Options = {
      model,
      cwd,
      permissionMode,
      includePartialMessages: true,
      env: withoutSecrets({ ...process.env, ...this.runnerOptions.env }),
      spawnClaudeCodeProcess: (spawnOptions) => this.spawnChild(spawnOptions),
    };
    if (this.runnerOptions.transcripts) {
      options.sessionStore = this.runnerOptions.transcripts.adapterFor(claudeConfigDir(options.env ?? {}));
    }
    if (permissionMode === "bypassPermissions") options.allowDangerouslySkipPermissions = true;
    const ask = this.startOptions.askPermission;
    if (ask) options.canUseTool = (toolName, input, context) => askToCanUseTool(ask, toolName, input, context);
    if (resumeSessionId) options.resume = resumeSessionId;
    if (this.runnerOptions.maxTurns !== undefined) options.maxTurns = this.runnerOptions.maxTurns;
    if (this.runnerOptions.pathToClaudeCodeExecutable) {
      options.pathToClaudeCodeExecutable = this.runnerOptions.pathToClaudeCodeExecutable;
    }
    const q = query({ prompt: this.input, options });
    this.query = q;
    this.pumpDone = this.pump(q);
  }

  /** Spawns the CLI like the SDK does, but keeps the child: its pid, its exit and its stderr. */
  private spawnChild(spawnOptions: SpawnOptions): SpawnedProcess {
    const child = spawn(spawnOptions.command, spawnOptions.args, {
      cwd: spawnOptions.cwd,
      env: spawnOptions.env,
      signal: spawnOptions.signal,
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
    });
    this.child = child;
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (data: string) => this.appendStderr(data));
    this.childExited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.onChildExit(code, signal);
        resolve();
      });
      child.once("error", (error) => {
        log.warn("Claude Code process error", { error: error.message });
        if (child.pid === undefined) resolve();
      });
    });
    if (child.pid !== undefined) {
      log.info("Claude Code started", {
        pid: child.pid,
        cwd: spawnOptions.cwd,
        resume: this.startOptions.resumeSessionId,
      });
      try {
        this.runnerOptions.onSpawn?.(child.pid);
      } catch (error) {
        log.warn("onSpawn threw", { error: errorMessage(error) });
      }
    }
    return child as SpawnedProcess;
  }

  private appendStderr(data: string): void {
    const limit = this.runnerOptions.stderrLimit ?? 8_192;
    this.stderr = (this.stderr + data).slice(-limit);
  }

  private onChildExit(code: number | null, signal: NodeJS.Signals | null): void {
    const expected = this.closed;
    this.dead = true;
    const fields = { pid: this.child?.pid, code, signal };
    if (expected) log.info("Claude Code exited", fields);
    else log.warn("Claude Code exited unexpectedly", fields);
    // The SDK delivers what was still in the pipe (maybe the turn's result), then its iterator
    // throws a few ms after the exit. Don't rely on that alone.
    const turn = this.turn;
    if (!turn) return;
    setTimeout(() => {
      if (this.turn === turn)
        this.endTurnOnExit(signal ? `terminated by signal ${signal}` : `exited with code ${code}`);
    }, EXIT_GRACE_MS);
  }

  private async pump(q: Query): Promise<void> {
    try {
      for await (const message of q) this.dispatch(message);
      this.dead = true;
      this.endTurnOnExit("ended its output");
    } catch (error) {
      this.dead = true;
      if (!this.closed) {
        log.warn("Claude Code stream failed", {
          error: errorMessage(error),
          stderr: this.stderr.slice(-CRASH_STDERR_CHARS),
        });
      }
      this.endTurnOnExit(errorMessage(error));
    }
  }

  private endTurnOnExit(reason: string): void {
    const turn = this.turn;
    if (!turn) return;
    if (turn.cancelRequested) this.finishTurn(this.failure("CANCELLED", "Stopped."));
    else this.finishTurn(this.failure("AGENT_CRASHED", this.crashMessage(reason)));
  }

  /** `reason` plus the tail of the CLI's stderr, for the person reading the error. */
  private crashMessage(reason: string): string {
    const tail = this.stderr.trim().slice(-CRASH_STDERR_CHARS);
    return `The agent process stopped: ${reason}${tail ? `\n${tail}` : ""}`;
  }

  private dispatch(message: SDKMessage): void {
    if (typeof message.session_id === "string" && message.session_id) this.sessionId = message.session_id;
    const turn = this.turn;
    if (!turn) {
      log.debug("agent message outside a turn", { type: message.type });
      return;
    }
    if (message.type === "stream_event") {
      const event: unknown = message.event;
      if (
        message.parent_tool_use_id === null &&
        isRecord(event) &&
        event.type === "content_block_delta" &&
        isRecord(event.delta) &&
        event.delta.type === "text_delta" &&
        typeof event.delta.text === "string"
      ) {
        this.emit(turn, { kind: "delta", text: event.delta.text });
      }
      return;
    }
    this.emit(turn, { kind: "message", message: message as unknown as Record<string, unknown> });
    if (message.type === "assistant" && message.parent_tool_use_id === null && message.error) {
      turn.assistantError = message.error;
    }
    if (message.type === "rate_limit_event" && message.rate_limit_info.status === "rejected") {
      turn.limitResetsAt = epochToIso(message.rate_limit_info.resetsAt) ?? turn.limitResetsAt;
    }
    if (message.type === "result") this.onResult(turn, message);
  }

  private emit(turn: Turn, event: AgentTurnEvent): void {
    try {
      turn.onEvent(event);
    } catch (error) {
      log.error("turn event handler threw", { error: errorMessage(error) });
    }
  }

  private onResult(turn: Turn, result: SDKResultMessage): void {
    // A result that names other user messages belongs to an earlier turn.
    const uuids = result.user_message_uuids ?? (result.user_message_uuid ? [result.user_message_uuid] : undefined);
    if (uuids && turn.input.uuid && !uuids.includes(turn.input.uuid)) {
      log.warn("ignoring a result for another turn", { uuids });
      return;
    }
    const costUsd = this.turnCost(result);
    this.sessionId = result.session_id || this.sessionId;

    if (result.subtype === "success" && !result.is_error) {
      const outcome: TurnOutcome = { ok: true, text: result.result, claudeSessionId: result.session_id };
      if (costUsd !== undefined) outcome.costUsd = costUsd;
      const usage = turnUsage(result);
      if (usage) outcome.usage = usage;
      this.finishTurn(outcome);
      return;
    }
    if (turn.cancelRequested) {
      this.finishTurn(this.failure("CANCELLED", "Stopped."));
      return;
    }
    if (result.subtype === "success") {
      const text = result.result || "The agent reported an error.";
      const code = classifyFailure(text, turn.assistantError);
      const limited = code === "API_RATE_LIMITED" || code === "API_USAGE_LIMIT";
      // The `|<epoch>` Claude Code appends is for programs: it becomes `resetsAt`, not words on a phone.
      const failure = this.failure(code, limited ? text.replace(RESET_SUFFIX, "") : text);
      if (limited) {
        const resetsAt = turn.limitResetsAt ?? resetTimeIn(text);
        if (resetsAt) failure.resetsAt = resetsAt;
      }
      this.finishTurn(failure);
      return;
    }
    const text = result.errors.join("\n") || result.subtype;
    if (/no conversation found/i.test(text)) {
      // A resume of a session neither the CLI nor the mirror has: it exits. Resuming it again cannot work.
      this.dead = true;
      this.finishTurn({ ...this.failure("INTERNAL_ERROR", text), conversationMissing: true });
      return;
    }
    if (result.subtype === "error_max_turns") {
      this.finishTurn(this.failure("AGENT_MAX_TURNS", text));
      return;
    }
    const code: ErrorCode = turn.assistantError ? classifyFailure(text, turn.assistantError) : "INTERNAL_ERROR";
    this.finishTurn(this.failure(code, text));
  }

  /**
   * This turn's cost. `total_cost_usd` is cumulative (and a resumed session starts from the total
   * its transcript saved), so prefer the per-turn `model_usage_since_last_result` the CLI adds
   * (not in the SDK typings), else the difference to the previous total when that is known.
   */
  private turnCost(result: SDKResultMessage): number | undefined {
    const total = result.total_cost_usd;
    const baselineKnown = this.costBaselineKnown;
    const baseline = this.costBaseline;
    if (Number.isFinite(total)) {
      this.costBaseline = Math.max(baseline, total);
      this.costBaselineKnown = true;
    }
    const since: unknown = (result as { model_usage_since_last_result?: unknown }).model_usage_since_last_result;
    if (isRecord(since)) {
      let sum = 0;
      for (const usage of Object.values(since)) {
        if (isRecord(usage) && typeof usage.costUSD === "number" && Number.isFinite(usage.costUSD))
          sum += usage.costUSD;
      }
      return sum;
    }
    if (!Number.isFinite(total) || !baselineKnown) return undefined;
    return Math.max(0, total - baseline);
  }

  private failure(code: ErrorCode, message: string): Extract<TurnOutcome, { ok: false }> {
    return this.sessionId
      ? { ok: false, code, message, claudeSessionId: this.sessionId }
      : { ok: false, code, message };
  }

  private finishTurn(outcome: TurnOutcome): void {
    const turn = this.turn;
    if (!turn) return;
    this.turn = undefined;
    if (turn.graceTimer) clearTimeout(turn.graceTimer);
    log.debug("turn ended", outcome.ok ? { ok: true } : { ok: false, code: outcome.code });
    turn.resolve(outcome);
  }
}

/** Tokens of the turn's main loop (in streaming-input mode `result.usage` is per turn). */
function turnUsage(result: SDKResultMessage): TurnUsage | undefined {
  const usage = result.usage as Partial<Record<string, unknown>> | undefined;
  if (!usage) return undefined;
  const count = (value: unknown) =>
    typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
  return {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: count(usage.cache_read_input_tokens),
    cacheCreationTokens: count(usage.cache_creation_input_tokens),
  };
}

/** A reset time in seconds (or milliseconds) since the epoch, as ISO; undefined when there is none. */
function epochToIso(value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) return undefined;
  const ms = value < 1e12 ? value * 1000 : value;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const RESET_SUFFIX = /\|(\d{10,13})\b/;

/** Claude Code's usage-limit text carries the reset as `…|<epoch seconds>`. */
export function resetTimeIn(text: string): string | undefined {
  const match = RESET_SUFFIX.exec(text);
  return match ? epochToIso(Number(match[1])) : undefined;
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
