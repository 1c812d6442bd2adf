import { join } from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import { createSdkRunner } from "./agent/sdkRunner.ts";
import type { AgentRunner } from "./agent/types.ts";
import { Bus } from "./bus.ts";
import { type Config, ConfigError, parseConfig } from "./config.ts";
import { createRouter, json } from "./http/router.ts";
import { createLogger } from "./logger.ts";
import { SessionService } from "./sessions/sessionService.ts";
import { SessionStore } from "./sessions/store.ts";
import { createSocketServer } from "./socket/socketServer.ts";
import { openDatabase } from "./storage/database.ts";

const log = createLogger("server");

export interface StartOptions {
  config: Config;
  /** Replaces the real Claude Code runner (tests, benchmarks). */
  runner?: AgentRunner;
}

export interface RunningServer {
  url: string;
  port: number;
  service: SessionService;
  stop(): Promise<void>;
}

export async function startServer({ config, runner }: StartOptions): Promise<RunningServer> {
  const db = openDatabase(config.dataDir);
  const bus = new Bus();
  const service = new SessionService({
    store: new SessionStore(db),
    runner: runner ?? createSdkRunner({ maxTurns: config.maxTurns, pathToClaudeCodeExecutable: config.claudePath }),
    bus,
    defaultModel: config.defaultModel,
    workdirRoots: config.workdirRoots,
    idleTimeoutMs: config.idleTimeoutMs,
  });
  service.recover();

  const { io, engine } = createSocketServer({ service, bus, serverVersion: packageJson.version });
  let ready = false;
  const route = createRouter({
    engine,
    isReady: () => ready,
    transcribe: async (req) => {
      const form = await req.formData().catch(() => null);
      const audio = form?.get("audio");
      if (!(audio instanceof Blob))
        return json(400, { error: "Send the recording as multipart field 'audio'.", code: "NO_AUDIO" });
      return json(503, { error: "Voice transcription is not set up on this server yet.", code: "NO_ENGINE" });
    },
  });

  const handler = engine.handler();
  const server = Bun.serve({
    hostname: config.host,
    port: config.port,
    idleTimeout: handler.idleTimeout,
    maxRequestBodySize: Math.max(handler.maxRequestBodySize, 26 * 1024 * 1024),
    websocket: handler.websocket,
    fetch: (req, srv) => route(req, srv),
    error(error) {
      log.error("request failed", { error: error.stack ?? String(error) });
      return json(500, { error: "Internal server error.", code: "INTERNAL_ERROR" });
    },
  });
  ready = true;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  log.info("listening", { url, dataDir: config.dataDir, workdirRoots: config.workdirRoots });

  return {
    url,
    port: server.port ?? config.port,
    service,
    async stop() {
      ready = false;
      await io.close();
      await service.shutdown();
      await server.stop(true);
      db.close();
    },
  };
}

if (import.meta.main) {
  let config: Config;
  try {
    config = parseConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const running = await startServer({ config });
  console.log(`Pocket Agent ${packageJson.version} on ${running.url} (data: ${join(config.dataDir)})`);
  const shutdown = async (signal: string) => {
    log.info("shutting down", { signal });
    await running.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
