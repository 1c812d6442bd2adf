/**
 * The SDK runner against the real Claude Code CLI, offline, with the fake
 * Anthropic API. Every test waits for events, never for a fixed time.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentEnv, makeAgentEnv } from "../../../tests/fixtures/agentEnv.ts";
import {
  type FakeAnthropic,
  hang,
  httpError,
  reply,
  startFakeAnthropic,
} from "../../../tests/fixtures/fakeAnthropic.ts";
import { isAlive } from "../../../tests/fixtures/processes.ts";
import { setLogLevel } from "../logger.ts";
import {
  classifyFailure,
  createSdkRunner,
  resetTimeIn,
  type SdkAgentProcess,
  type SdkRunnerOptions,
} from "./sdkRunner.ts";
import type { AgentTurnEvent, TurnOutcome } from "./types.ts";

const TIMEOUT = 30_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let api: FakeAnthropic;
let agentEnv: AgentEnv;
const processes: SdkAgentProcess[] = [];

beforeAll(async () => {
  setLogLevel("error");
  api = await startFakeAnthropic();
});

afterAll(async () => {
  await api.close();
  setLogLevel("info");
});

beforeEach(() => {
  api.reset();
  agentEnv = makeAgentEnv(api.url);
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.close()));
  agentEnv.cleanup();
});

function startAgent(
  options: Omit<SdkRunnerOptions, "env"> & { env?: Record<string, string | undefined>; resumeSessionId?: string } = {},
): SdkAgentProcess {
  const { env, resumeSessionId, ...runnerOptions } = options;
  const runner = createSdkRunner({ maxTurns: 4, ...runnerOptions, env: { ...agentEnv.env, ...env } });
  const agent = runner.start({ model: "sonnet", cwd: agentEnv.cwd, permissionMode: "default", resumeSessionId });
  processes.push(agent);
  return agent;
}

/** Runs a turn, collecting its events; `on` sees each event as it arrives. */
async function run(
  agent: SdkAgentProcess,
  prompt: string,
  on?: (event: AgentTurnEvent) => void,
): Promise<{ outcome: TurnOutcome; events: AgentTurnEvent[]; deltas: string[]; messages: Record<string, unknown>[] }> {
  const events: AgentTurnEvent[] = [];
  const outcome = await agent.runTurn(prompt, (event) => {
    events.push(event);
    on?.(event);
  });
  const deltas = events.flatMap((e) => (e.kind === "delta" ? [e.text] : []));
  const messages = events.flatMap((e) => (e.kind === "message" ? [e.message] : []));
  return { outcome, events, deltas, messages };
}

function firstDelta(): { on: (event: AgentTurnEvent) => void; seen: Promise<void> } {
  let resolve = () => {};
  const seen = new Promise<void>((r) => {
    resolve = r;
  });
  return { on: (event) => event.kind === "delta" && resolve(), seen };
}

function failure(outcome: TurnOutcome): Extract<TurnOutcome, { ok: false }> {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function success(outcome: TurnOutcome): Extract<TurnOutcome, { ok: true }> {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.code}: ${outcome.message}`);
  return outcome;
}

/** The content blocks of the agent messages of one type (`assistant`, `user`). */
function contentBlocks(messages: Record<string, unknown>[], type: string): Record<string, unknown>[] {
  return messages
    .filter((m) => m.type === type)
    .flatMap((m) => {
      const content = (m.message as { content?: unknown } | undefined)?.content;
      return Array.isArray(content) ? (content as Record<string, unknown>[]) : [];
    });
}

const LONG_TEXT = "A long answer that streams slowly, piece by piece. ".repeat(40);

describe("classifyFailure", () => {
  test("maps the CLI's texts to codes", () => {
    const gateway = "This is a server-side issue, usually temporary — try again in a moment.";
    expect(classifyFailure(`API Error: 500 Internal server error. ${gateway}`, "server_error")).toBe("API_ERROR");
    expect(classifyFailure(`API Error: 529 Overloaded. ${gateway}`, "server_error")).toBe("API_OVERLOADED");
    expect(classifyFailure("Invalid API key · Fix external API key", "authentication_failed")).toBe("API_AUTH_FAILED");
    expect(classifyFailure("API Error: Request rejected (429) · Rate limit exceeded", "rate_limit")).toBe(
      "API_RATE_LIMITED",
    );
    expect(
      classifyFailure(
        "Request timed out. If the API is slow to answer, set API_TIMEOUT_MS above 1500.",
        "server_error",
      ),
    ).toBe("API_TIMEOUT");
    expect(classifyFailure("Not logged in · Please run /login")).toBe("AGENT_NOT_LOGGED_IN");
    expect(classifyFailure("Claude AI usage limit reached|1796315335")).toBe("API_USAGE_LIMIT");
    expect(classifyFailure("You've hit your limit · resets 3pm (Europe/Paris)")).toBe("API_USAGE_LIMIT");
    expect(classifyFailure("API Error: Connection error.")).toBe("API_ERROR");
  });
});

describe("resetTimeIn", () => {
  test("Claude Code's usage-limit text carries the reset in epoch seconds; other texts none", () => {
    expect(resetTimeIn("Claude AI usage limit reached|1796315335")).toBe(new Date(1796315335_000).toISOString());
    expect(resetTimeIn("API Error: Request rejected (429) · Rate limit exceeded")).toBeUndefined();
  });
});

describe("createSdkRunner", () => {
  test(
    "a text turn streams deltas and messages, then succeeds",
    async () => {
      api.when("say hello", reply().text("Hello from the fake API", { chunkChars: 5 }));
      const agent = startAgent();
      expect(agent.alive).toBe(true);
      expect(agent.pid).toBeUndefined(); // lazy

      const { outcome, deltas, messages } = await run(agent, "say hello");

      const ok = success(outcome);
      expect(ok.text).toBe("Hello from the fake API");
      expect(ok.claudeSessionId).toMatch(UUID);
      expect(ok.costUsd).toBeGreaterThanOrEqual(0);
      // This turn's tokens, from the result's per-turn `usage` (the fake API counts ~4 characters a token).
      const result = messages.at(-1) as { usage: { input_tokens: number; output_tokens: number } };
      expect(ok.usage).toMatchObject({
        inputTokens: result.usage.input_tokens,
        outputTokens: result.usage.output_tokens,
      });
      expect(ok.usage?.inputTokens).toBeGreaterThan(0);
      expect(ok.usage?.outputTokens).toBeGreaterThan(0);
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join("")).toBe("Hello from the fake API");
      const types = messages.map((m) => `${m.type}${m.subtype ? `/${m.subtype}` : ""}`);
      expect(types).toContain("system/init");
      expect(types).toContain("assistant");
      expect(types.at(-1)).toBe("result/success");
      expect(messages.some((m) => m.type === "stream_event")).toBe(false);
      // Plain JSON.
      expect(JSON.parse(JSON.stringify(messages))).toEqual(messages);
      expect(agent.pid).toBeGreaterThan(0);
      expect(agent.claudeSessionId).toBe(ok.claudeSessionId);
    },
    TIMEOUT,
  );

  test(
    "two turns run on one warm process",
    async () => {
      const agent = startAgent();
      const t0 = performance.now();
      const first = success((await run(agent, "first question")).outcome);
      const t1 = performance.now();
      const pid = agent.pid;
      const second = success((await run(agent, "second question")).outcome);
      const t2 = performance.now();
      console.info(`cold turn ${(t1 - t0).toFixed(0)} ms, warm turn ${(t2 - t1).toFixed(0)} ms`);

      expect(first.text).toBe("Echo: first question");
      expect(second.text).toBe("Echo: second question");
      expect(agent.pid).toBe(pid);
      expect(second.claudeSessionId).toBe(first.claudeSessionId);
      // Per turn, not the process's running total.
      expect(second.costUsd).toBeGreaterThan(0);
      expect(second.costUsd).toBeLessThan((first.costUsd ?? 0) * 1.5);
      const main = api.log.filter((r) => !r.auxiliary);
      expect(main.map((r) => r.userText)).toEqual(["first question", "second question"]);
      // The second request carries the first exchange.
      expect(JSON.stringify(main[1]?.body.messages)).toContain("Echo: first question");
    },
    TIMEOUT,
  );

  test(
    "a read-only Bash command runs without approval and its messages are reported",
    async () => {
      api.when(
        "run echo",
        reply().text("Running it.").tool("Bash", { command: "echo hi" }),
        reply().text("It said hi."),
      );
      const agent = startAgent();

      const { outcome, messages } = await run(agent, "run echo");

      expect(success(outcome).text).toBe("It said hi.");
      const toolUse = contentBlocks(messages, "assistant").find((block) => block.type === "tool_use");
      expect(toolUse).toMatchObject({ name: "Bash", input: { command: "echo hi" } });
      const toolResult = contentBlocks(messages, "user").find((block) => block.type === "tool_result");
      expect(toolResult).toMatchObject({ tool_use_id: toolUse?.id, content: "hi", is_error: false });
      // The fake got the tool result back.
      const followUp = api.log.filter((r) => !r.auxiliary).at(-1);
      expect(JSON.stringify(followUp?.body.messages)).toContain('"tool_result"');
    },
    TIMEOUT,
  );

  test(
    "a command that needs approval is refused, not left waiting",
    async () => {
      api.when(
        "write a file",
        reply().tool("Bash", { command: "echo hi > written.txt" }),
        reply().text("Could not write it."),
      );
      const agent = startAgent();

      const { outcome, messages } = await run(agent, "write a file");

      expect(success(outcome).text).toBe("Could not write it.");
      const toolResult = contentBlocks(messages, "user").find((block) => block.type === "tool_result");
      expect(toolResult).toMatchObject({ is_error: true });
      expect(existsSync(join(agentEnv.cwd, "written.txt"))).toBe(false);
    },
    TIMEOUT,
  );

  test(
    "API errors become distinct codes and the process stays usable",
    async () => {
      const cases = [
        ["fail 500", 500, "API_ERROR"],
        ["fail 529", 529, "API_OVERLOADED"],
        ["fail 401", 401, "API_AUTH_FAILED"],
        ["fail 429", 429, "API_RATE_LIMITED"],
      ] as const;
      const agent = startAgent();
      for (const [prompt, status, code] of cases) {
        api.when(prompt, httpError(status));
        const { outcome } = await run(agent, prompt);
        const failed = failure(outcome);
        expect({ status, code: failed.code }).toEqual({ status, code });
        expect(failed.message.length).toBeGreaterThan(0);
        expect(agent.alive).toBe(true);
      }
      expect(success((await run(agent, "all good now")).outcome).text).toBe("Echo: all good now");
    },
    TIMEOUT,
  );

  test(
    "a rate limit without a reset time has none; a usage limit names when it resets",
    async () => {
      const agent = startAgent();
      api.when("limited", httpError(429));
      const limited = failure((await run(agent, "limited")).outcome);
      expect(limited.code).toBe("API_RATE_LIMITED");
      expect(limited.resetsAt).toBeUndefined();

      api.when("used up", httpError(429, "Claude AI usage limit reached|1796315335"));
      const usedUp = failure((await run(agent, "used up")).outcome);
      expect(usedUp.code).toBe("API_USAGE_LIMIT");
      expect(usedUp.resetsAt).toBe("2026-12-03T16:28:55.000Z");
      expect(usedUp.message).toBe("API Error: Request rejected (429) · Claude AI usage limit reached");
    },
    TIMEOUT,
  );

  test(
    "a hanging API becomes API_TIMEOUT",
    async () => {
      api.when("hang please", hang());
      const agent = startAgent({ env: { API_TIMEOUT_MS: "1500" } });

      const failed = failure((await run(agent, "hang please")).outcome);

      expect(failed.code).toBe("API_TIMEOUT");
      expect(failed.message).toContain("timed out");
    },
    TIMEOUT,
  );

  test(
    "interrupt() while text streams ends the turn as CANCELLED; the process takes the next turn",
    async () => {
      api.when("stream slowly", reply().textSlow(LONG_TEXT, { chunkChars: 3, delayMs: 40 }));
      const agent = startAgent();
      const { on, seen } = firstDelta();

      const turn = run(agent, "stream slowly", on);
      await seen;
      const t0 = performance.now();
      await agent.interrupt();
      const { outcome, deltas } = await turn;
      console.info(`interrupt → CANCELLED in ${(performance.now() - t0).toFixed(0)} ms`);

      expect(failure(outcome).code).toBe("CANCELLED");
      expect(deltas.join("").length).toBeLessThan(LONG_TEXT.length);
      expect(agent.alive).toBe(true);
      expect(success((await run(agent, "carry on")).outcome).text).toBe("Echo: carry on");
    },
    TIMEOUT,
  );

  test(
    "interrupt() while the API hangs ends the turn as CANCELLED",
    async () => {
      api.when("hang until stopped", hang());
      const agent = startAgent();

      const turn = run(agent, "hang until stopped");
      await api.waitForRequest((r) => r.userText === "hang until stopped");
      await agent.interrupt();

      expect(failure((await turn).outcome).code).toBe("CANCELLED");
    },
    TIMEOUT,
  );

  test("interrupt() with no running turn does nothing", async () => {
    const agent = startAgent();
    await agent.interrupt();
    expect(agent.alive).toBe(true);
    expect(agent.pid).toBeUndefined();
  });

  test(
    "a CLI killed mid-turn gives AGENT_CRASHED; a new process resumes the conversation",
    async () => {
      api.when("remember 42", reply().text("Noted: 42."));
      api.when("stream then die", reply().textSlow(LONG_TEXT, { chunkChars: 3, delayMs: 40 }));
      const agent = startAgent();
      const first = success((await run(agent, "remember 42")).outcome);
      const { on, seen } = firstDelta();

      const turn = run(agent, "stream then die", on);
      await seen;
      const pid = agent.pid;
      if (pid === undefined) throw new Error("no pid");
      const t0 = performance.now();
      process.kill(pid, "SIGKILL");
      const { outcome } = await turn;
      console.info(`SIGKILL → AGENT_CRASHED in ${(performance.now() - t0).toFixed(0)} ms`);

      const crashed = failure(outcome);
      expect(crashed.code).toBe("AGENT_CRASHED");
      expect(crashed.message).toContain("SIGKILL");
      expect(agent.alive).toBe(false);
      expect(failure(await agent.runTurn("anyone there?", () => {})).code).toBe("AGENT_CRASHED");

      const resumed = startAgent({ resumeSessionId: first.claudeSessionId });
      const after = success((await run(resumed, "what did I say?")).outcome);
      expect(after.text).toBe("Echo: what did I say?");
      expect(resumed.pid).not.toBe(pid);
      const request = await api.waitForRequest((r) => r.userText === "what did I say?");
      const history = JSON.stringify(request.body.messages);
      expect(history).toContain("remember 42");
      expect(history).toContain("Noted: 42.");
      console.info(`resume: session id ${after.claudeSessionId === first.claudeSessionId ? "kept" : "changed"}`);
      // The cost is this turn's, not the session's running total carried over by the resume.
      expect(after.costUsd).toBeGreaterThan(0);
      expect(after.costUsd).toBeLessThan((first.costUsd ?? 0) * 1.5);
    },
    TIMEOUT,
  );

  test(
    "resuming a session the CLI does not know fails and leaves the process dead",
    async () => {
      const agent = startAgent({ resumeSessionId: "00000000-0000-4000-8000-000000000000" });

      const failed = failure((await run(agent, "hello again")).outcome);

      expect(failed.code).toBe("INTERNAL_ERROR");
      expect(failed.message).toContain("No conversation found");
      expect(agent.alive).toBe(false);
    },
    TIMEOUT,
  );

  test(
    "maxTurns ends a tool loop with AGENT_MAX_TURNS",
    async () => {
      api.when(
        "loop forever",
        reply().tool("Bash", { command: "echo 1" }),
        reply().tool("Bash", { command: "echo 2" }),
        reply().tool("Bash", { command: "echo 3" }),
      );
      const agent = startAgent({ maxTurns: 2 });

      const failed = failure((await run(agent, "loop forever")).outcome);

      expect(failed.code).toBe("AGENT_MAX_TURNS");
      expect(failed.message).toContain("maximum number of turns");
      expect(agent.alive).toBe(true);
    },
    TIMEOUT,
  );

  test(
    "no API key and no login gives AGENT_NOT_LOGGED_IN",
    async () => {
      const agent = startAgent({ env: { ANTHROPIC_API_KEY: undefined } });

      const failed = failure((await run(agent, "hello?")).outcome);

      expect(failed.code).toBe("AGENT_NOT_LOGGED_IN");
      expect(failed.message).toContain("Not logged in");
      expect(api.log.length).toBe(0);
    },
    TIMEOUT,
  );

  test(
    "a CLI that dies at startup gives AGENT_CRASHED with the tail of its stderr",
    async () => {
      const fakeCli = join(agentEnv.root, "broken-claude");
      writeFileSync(fakeCli, "#!/bin/sh\necho 'fatal: the config is broken beyond repair' >&2\nexit 3\n");
      chmodSync(fakeCli, 0o755);
      const agent = startAgent({ pathToClaudeCodeExecutable: fakeCli });

      const failed = failure((await run(agent, "hello")).outcome);

      expect(failed.code).toBe("AGENT_CRASHED");
      expect(failed.message).toContain("fatal: the config is broken beyond repair");
      expect(agent.alive).toBe(false);
    },
    TIMEOUT,
  );

  test(
    "close() ends the process",
    async () => {
      const agent = startAgent();
      success((await run(agent, "hi")).outcome);
      const pid = agent.pid;

      await agent.close();

      expect(agent.alive).toBe(false);
      expect(pid === undefined ? false : isAlive(pid)).toBe(false);
      expect(failure(await agent.runTurn("again", () => {})).code).toBe("INTERNAL_ERROR");
      await agent.close(); // idempotent
    },
    TIMEOUT,
  );

  test(
    "close() during a turn resolves it as CANCELLED",
    async () => {
      api.when("long job", hang());
      const agent = startAgent();
      const turn = run(agent, "long job");
      await api.waitForRequest((r) => r.userText === "long job");

      await agent.close();

      expect(failure((await turn).outcome).code).toBe("CANCELLED");
      expect(agent.alive).toBe(false);
    },
    TIMEOUT,
  );
});
