import { networkInterfaces } from "node:os";
import { resolve } from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import { createSdkRunner } from "./agent/sdkRunner.ts";
import { TranscriptMirror } from "./agent/transcriptMirror.ts";
import type { AgentRunner } from "./agent/types.ts";
import {
  configuredOrigins,
  createAuth,
  createSocketAuthHooks,
  loadOrCreateToken,
  pairingUrl,
  parseAllowedOrigins,
  printPairingBanner,
  resolveTls,
  withSecurityHeaders,
} from "./auth/index.ts";
import { Bus } from "./bus.ts";
import { type Config, ConfigError, parseConfig } from "./config.ts";
import { createClientAssets } from "./http/client.ts";
import { createRouter, json } from "./http/router.ts";
import { createLogger } from "./logger.ts";
import { SessionService } from "./sessions/sessionService.ts";
import { SessionStore } from "./sessions/store.ts";
import { createSocketServer } from "./socket/socketServer.ts";
import { openDatabase } from "./storage/database.ts";
import { parseTranscriptionConfig } from "./transcription/config.ts";
import { createTranscribeHandler, transcribeBodyLimit } from "./transcription/transcribeHandler.ts";

const log = createLogger("server");

export interface StartOptions {
  config: Config;
  /**
   * Replaces the real Claude Code runner (tests, benchmarks): a runner, or a function that makes
   * one with the server's transcript mirror (to drive the real CLI with test settings).
   */
  runner?: AgentRunner | ((deps: { transcripts: TranscriptMirror }) => AgentRunner);
  /** The PWA's assets; omitted in tests that only speak the protocol. */
  clientAssets?: (req: Request) => Promise<Response | null>;
  /** sha256 CSP sources of the inline scripts in the served index.html. */
  scriptHashes?: string[];
  /** Bun HTML-import routes (development only: the client bundled on request, with HMR). */
  routes?: Record<string, Bun.HTMLBundle>;
}

export interface RunningServer {
  url: string;
  port: number;
  https: boolean;
  /** The URL that pairs a device (contains the token: print it, never log it). */
  pairingUrl: string;
  service: SessionService;
  stop(): Promise<void>;
}

export async function startServer({
  config,
  runner,
  clientAssets,
  scriptHashes = [],
  routes,
}: StartOptions): Promise<RunningServer> {
  const token = await loadOrCreateToken(config.dataDir, config.token);
  const tls = await resolveTls(config);
  const https = tls !== null;
  const auth = createAuth({
    token,
    secureCookies: https,
    allowedOrigins: [
      ...configuredOrigins({ host: config.host, port: config.port, https, names: tls?.names }),
      ...parseAllowedOrigins(config.allowedOrigins),
    ],
  });

  const transcriptionConfig = parseTranscriptionConfig(process.env);
  const transcription = createTranscribeHandler(transcriptionConfig);
  const db = openDatabase(config.dataDir);
  const bus = new Bus();
  const transcripts = new TranscriptMirror(db);
  const service = new SessionService({
    store: new SessionStore(db),
    runner:
      typeof runner === "function"
        ? runner({ transcripts })
        : (runner ??
          createSdkRunner({ maxTurns: config.maxTurns, pathToClaudeCodeExecutable: config.claudePath, transcripts })),
    bus,
    defaultModel: config.defaultModel,
    workdirRoots: config.workdirRoots,
    idleTimeoutMs: config.idleTimeoutMs,
    maxAgents: config.maxAgents,
    // Claude Code itself refuses bypassPermissions as root unless IS_SANDBOX=1.
    bypassAllowed: process.getuid?.() !== 0 || process.env.IS_SANDBOX === "1",
  });
  service.recover();

  const { io, engine } = createSocketServer({
    service,
    bus,
    serverVersion: packageJson.version,
    auth: createSocketAuthHooks(auth),
  });
  let ready = false;
  const fetch = createRouter({
    engine,
    auth,
    secure: (res, req) => withSecurityHeaders(res, { https, scriptHashes, host: req.headers.get("host") }),
    isReady: () => ready,
    clientAssets,
    transcribe: (req) => transcription.handle(req),
    transcribeStatus: () => transcription.check(),
  });

  const handler = engine.handler();
  const server = Bun.serve({
    hostname: config.host,
    port: config.port,
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    idleTimeout: handler.idleTimeout,
    maxRequestBodySize: Math.max(handler.maxRequestBodySize, transcribeBodyLimit(transcriptionConfig)),
    websocket: handler.websocket,
    ...(routes ? { routes, development: { hmr: true, console: true } } : {}),
    fetch,
    error(error) {
      log.error("request failed", { error: error.stack ?? String(error) });
      return json(500, { error: "Internal server error.", code: "INTERNAL_ERROR" });
    },
  });
  ready = true;
  const port = server.port ?? config.port;
  const url = `${https ? "https" : "http"}://${publicHost(config.host)}:${port}`;
  log.info("listening", { url, https, dataDir: config.dataDir, workdirRoots: config.workdirRoots });

  return {
    url,
    port,
    https,
    service,
    pairingUrl: pairingUrl(url, token),
    async stop() {
      ready = false;
      await io.close();
      await service.shutdown();
      await server.stop(true);
      await transcription.close();
      db.close();
    },
  };
}

/** The address a phone can reach: for a wildcard bind, the first LAN IPv4 address. */
function publicHost(host: string): string {
  if (host !== "0.0.0.0" && host !== "::") return host.includes(":") ? `[${host}]` : host;
  for (const addresses of Object.values(networkInterfaces())) {
    const lan = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (lan) return lan.address;
  }
  return "127.0.0.1";
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
  const assets = await createClientAssets({ dev: !config.production, distDir: resolve(import.meta.dir, "../../dist") });
  const running = await startServer({
    config,
    clientAssets: assets.fetch,
    scriptHashes: assets.scriptHashes,
    ...(config.production ? {} : { routes: assets.routes as Record<string, Bun.HTMLBundle> }),
  });
  console.log(`Pocket Agent ${packageJson.version} on ${running.url}`);
  printPairingBanner(running.pairingUrl);
  const shutdown = async (signal: string) => {
    log.info("shutting down", { signal });
    await running.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
