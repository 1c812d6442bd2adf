/**
 * The real Pocket Agent server for benchmarks, in its own process: real
 * SQLite, validation, auth and transport, with the in-process fake agent (or
 * the real CLI when BENCH_REAL_AGENT=1, pointed at ANTHROPIC_BASE_URL).
 * Seeds BENCH_SESSIONS sessions; honours POCKET_MAX_AGENTS. Prints `URL=…` when listening.
 */
import { createFakeRunner } from "../../tests/fixtures/fakeAgentRunner.ts";
import { startTestServer } from "../../tests/fixtures/testServer.ts";

const server = await startTestServer({
  runner: process.env.BENCH_REAL_AGENT === "1" ? undefined : createFakeRunner(),
  env: {
    POCKET_LOG_LEVEL: "warn",
    ...(process.env.POCKET_MAX_AGENTS ? { POCKET_MAX_AGENTS: process.env.POCKET_MAX_AGENTS } : {}),
  },
});
for (let i = 0; i < Number(process.env.BENCH_SESSIONS ?? 20); i++) server.service.create({ model: "haiku" });
console.log(`URL=${server.url}`);
process.on("SIGTERM", async () => {
  await server.cleanup();
  process.exit(0);
});
