import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createSdkRunner } from "../../src/server/agent/sdkRunner.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { startTestServer, TestClient, type TestServer } from "../fixtures/testServer.ts";

/**
 * `answers` (AskUserQuestion's choices) are merged into the tool's input; for any other tool
 * they could rewrite it. Real Claude Code CLI, fake API.
 */
const TIMEOUT = 60_000;
let api: FakeAnthropic;
let agentEnv: AgentEnv;
let server: TestServer;

beforeAll(async () => {
  setLogLevel("error");
  api = await startFakeAnthropic();
  agentEnv = makeAgentEnv(api.url);
  server = await startTestServer({
    runner: createSdkRunner({ maxTurns: 4, env: agentEnv.env }),
    workdir: agentEnv.cwd,
  });
});
afterAll(async () => {
  await server.cleanup();
  agentEnv.cleanup();
  await api.close();
  setLogLevel("info");
});

test(
  "answers on a Bash approval are refused as INVALID_PAYLOAD; the request stays pending and runs unchanged",
  async () => {
    api.when(
      "make a file",
      reply().tool("Bash", { command: "echo x > asked.txt", description: "Write asked.txt" }),
      reply().text("Finished."),
    );
    const client = await TestClient.connect(server.url);
    try {
      const session = await client.createSession({ model: "haiku" });
      const turn = client.send(session.id, "make a file");
      const ask = await client.next("permission:request", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });
      expect(ask.toolName).toBe("Bash");

      const allow = (answers?: Record<string, string>) => {
        const requestId = crypto.randomUUID();
        const { permissionId } = ask;
        client.socket.emit("permission:respond", {
          sessionId: session.id,
          permissionId,
          decision: "allow",
          requestId,
          ...(answers ? { answers } : {}),
        });
        return requestId;
      };

      const smuggle = allow({ command: "echo pwned > pwned.txt" });
      expect(await client.next("permission:error", (p) => p.requestId === smuggle)).toMatchObject({
        code: "INVALID_PAYLOAD",
        message: "answers are only accepted for AskUserQuestion.",
      });
      allow();
      await client.next("chat:response", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });
      expect(readFileSync(join(agentEnv.cwd, "asked.txt"), "utf8").trim()).toBe("x");
      expect(existsSync(join(agentEnv.cwd, "pwned.txt"))).toBe(false);
    } finally {
      client.close();
    }
  },
  TIMEOUT,
);
