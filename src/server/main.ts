import { networkInterfaces } from "node:os";
import { resolve } from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import type { TranscriptionStatus } from "../shared/transcription.ts";
import { bundledClaudePath, claudeLoginStatus } from "./agent/claudeCli.ts";
import { createSdkRunner } from "./agent/sdkRunner.ts";
import { claudeConfigDir, TranscriptMirror } from "./agent/transcriptMirror.ts";
import type { AgentRunner } from "./agent/types.ts";
import { createAttachmentRoutes } from "./attachments/routes.ts";
import { AttachmentStore } from "./attachments/store.ts";
import { createHostAllowlist } from "./auth/hosts.ts";
import {
  configuredOrigins,
  createAuth,
  createSocketAuthHooks,
  loadOrCreateToken,
  pairingUrl,
  parseAllowedOrigins,
  resolveTls,
  watchTokenFile,
  withSecurityHeaders,
} from "./auth/index.ts";
import { Bus } from "./bus.ts";
import { ChangesService } from "./changes/changesService.ts";
import { TurnChangeTracker } from "./changes/turnTracker.ts";
import { type Config, ConfigError, parseConfig } from "./config.ts";
import { createClientAssets } from "./http/client.ts";
import { createGate } from "./http/gate.ts";
import { createRouter, jsonError } from "./http/router.ts";
import { createLogger } from "./logger.ts";
import { MachineService, type MachineServiceOptions } from "./machines/machineService.ts";
import { type ClaudeSessions, sdkClaudeSessions } from "./projects/claudeSessions.ts";
import { ProjectService } from "./projects/projectService.ts";
import { PushService, type PushServiceOptions } from "./push/pushService.ts";
import { createPushRoutes } from "./push/routes.ts";
import { loadOrCreateVapidKeys } from "./push/vapidKeys.ts";
import { forgetSecrets } from "./secrets.ts";
import { removeServerInfo, writeServerInfo } from "./serverInfo.ts";
import { SessionService } from "./sessions/sessionService.ts";
import { SessionStore } from "./sessions/store.ts";
import { createSocketServer, MAX_PACKET_BYTES } from "./socket/socketServer.ts";
import { printStartupBanner } from "./startupBanner.ts";
import { openDatabase, secureDataDir } from "./storage/database.ts";
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
  /** The PWA's assets (given the decoded path); omitted in tests that only speak the protocol. */
  clientAssets?: (req: Request, path: string) => Promise<Response | null>;
  /** sha256 CSP sources of the inline scripts in the served index.html. */
  scriptHashes?: string[];
  /** Bun HTML-import routes (development only: the client bundled on request, with HMR). */
  routes?: Record<string, Bun.HTMLBundle>;
  /** Called with the server's own origin once it listens (development: the page is fetched from its internal route). */
  onListening?: (origin: string) => void;
  /** Replaces how Claude Code's own sessions are read (default: the Agent SDK, in this process's config dir). */
  claudeSessions?: ClaudeSessions;
  /** Web Push timing (tests: an injected clock, short timeouts). */
  push?: Pick<
    PushServiceOptions,
    "clock" | "coalesceMs" | "requestTimeoutMs" | "retryDelaysMs" | "actionTokenTtlMs" | "maxDevices"
  >;
  /** Linked machines' timing (tests: a shorter heartbeat and backoff). */
  machines?: Pick<MachineServiceOptions, "timing" | "requestTimeoutMs" | "addTimeoutMs">;
}

export interface RunningServer {
  url: string;
  port: number;
  https: boolean;
  /** The URL that pairs a device (contains the token: print it, never log it). Follows a rotated token. */
  readonly pairingUrl: string;
  /** The speech-to-text engine found now (looks again; for the start-up banner). */
  speech(): Promise<TranscriptionStatus>;
  service: SessionService;
  projects: ProjectService;
  push: PushService;
  machines: MachineService;
  stop(): Promise<void>;
}

export async function startServer({
  config,
  runner,
  clientAssets,
  scriptHashes = [],
  routes,
  onListening,
  claudeSessions,
  push: pushOptions,
  machines: machineOptions,
}: StartOptions): Promise<RunningServer> {
  await secureDataDir(config.dataDir);
  const token = await loadOrCreateToken(config.dataDir, config.token);
  const vapid = await loadOrCreateVapidKeys(config.dataDir);
  const tls = await resolveTls(config);
  const https = tls !== null;
  // Behind a proxy that terminates HTTPS (POCKET_PUBLIC_URL=https://…) the browser is on HTTPS
  // although this server is not: cookies and HSTS follow what the browser sees.
  const browserHttps = https || config.publicUrl?.startsWith("https:") === true;
  const allowedOrigins = [
    ...configuredOrigins({ host: config.host, port: config.port, https, names: tls?.names }),
    ...parseAllowedOrigins(config.allowedOrigins),
    ...(config.publicUrl ? [config.publicUrl] : []),
  ];
  const auth = createAuth({ token, secureCookies: browserHttps, allowedOrigins });
  let currentToken = token;

  const transcriptionConfig = parseTranscriptionConfig(process.env);
  // Both configurations hold what they need: nothing started from here on inherits the secrets.
  forgetSecrets(process.env);
  const transcription = createTranscribeHandler(transcriptionConfig);
  const db = openDatabase(config.dataDir);
  const bus = new Bus();
  const transcripts = new TranscriptMirror(db);
  const attachments = new AttachmentStore(db);
  const store = new SessionStore(db);
  const service = new SessionService({
    store,
    attachments,
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
    trackChanges: (cwd) => new TurnChangeTracker(cwd),
  });
  service.recover();
  // The SDK reads Claude Code's sessions where the agent processes started from here keep them.
  const configDir = claudeConfigDir(process.env);
  const projects = new ProjectService({
    roots: config.workdirRoots,
    sessions: service,
    claude: claudeSessions ?? sdkClaudeSessions(configDir),
    mirror: transcripts.adapterFor(configDir),
  });

  const changes = new ChangesService({ sessions: service, store });
  let ownOrigins: string[] = [];
  const machines = new MachineService({
    db,
    bus,
    localName: config.machineName,
    isLocalSession: (sessionId) => store.getSession(sessionId) !== null,
    ownOrigins: () => ownOrigins,
    ...machineOptions,
  });
  const push = new PushService({
    db,
    bus,
    sessions: service,
    machines,
    vapid,
    subject: config.vapidSubject,
    ...pushOptions,
  });
  // After recovery: the turns a restart marks interrupted are not news to push to every phone.
  push.start();
  const { io, engine } = createSocketServer({
    service,
    projects,
    changes,
    push,
    bus,
    serverVersion: packageJson.version,
    machineName: config.machineName,
    auth: createSocketAuthHooks(auth),
    machines,
  });
  // `pocket-agent token rotate` replaces the token file: every device is signed out at once, here too.
  const tokenWatch = config.token
    ? null
    : watchTokenFile(config.dataDir, token, (next) => {
        currentToken = next;
        auth.setToken(next);
        // Closing the transport (not a server-side disconnect, after which a client stays down)
        // makes each app reconnect at once, be refused, and show "Pair this device".
        for (const socket of io.sockets.sockets.values()) socket.conn.close();
        const forgotten = push.forgetDevices();
        log.warn("the access token was rotated: every device is signed out", { pushDevicesForgotten: forgotten });
      });
  let ready = false;
  const secure = (res: Response, req?: Request) =>
    withSecurityHeaders(res, { https: browserHttps, scriptHashes, host: req?.headers.get("host") });
  const transcribeLimit = transcribeBodyLimit(transcriptionConfig);
  const fetch = createRouter({
    engine,
    auth,
    gate: createGate({
      hostAllowed: createHostAllowlist({ listenHost: config.host, names: tls?.names, origins: allowedOrigins }),
      bodyLimit: (path) =>
        path === "/api/transcribe" ? transcribeLimit : path.startsWith("/socket.io/") ? MAX_PACKET_BYTES : SMALL_BODY,
      needsLength: (path) => path.startsWith("/socket.io/"),
    }),
    secure,
    isReady: () => ready,
    clientAssets,
    transcribe: (req) => transcription.handle(req),
    transcribeStatus: () => transcription.check(),
    push: createPushRoutes(push),
    attachments: createAttachmentRoutes(attachments, (id) => machines.image(id)),
  });

  const handler = engine.handler();
  const server = Bun.serve({
    hostname: config.host,
    port: config.port,
    // With the local CA after the server's own certificate: a Pocket Agent server linking this one
    // pins that CA on first use and verifies every later connection with it (decision 060).
    ...(tls ? { tls: { cert: tls.ca ? `${tls.cert.trimEnd()}\n${tls.ca.cert}` : tls.cert, key: tls.key } } : {}),
    idleTimeout: handler.idleTimeout,
    // The most any route accepts; each route's own cap is the gate's.
    maxRequestBodySize: Math.max(handler.maxRequestBodySize, transcribeLimit),
    websocket: handler.websocket,
    // No `console`: it would echo what any page sends to /_bun/hmr into the terminal that shows the pairing banner.
    ...(routes ? { routes, development: { hmr: true, console: false } } : {}),
    fetch,
    error(error) {
      log.error("request failed", { error: error.stack ?? String(error) });
      return secure(jsonError(500, "INTERNAL_ERROR", "Internal server error."));
    },
  });
  ready = true;
  const port = server.port ?? config.port;
  const url = `${https ? "https" : "http"}://${publicHost(config.host)}:${port}`;
  onListening?.(
    `${https ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
  );
  log.info("listening", { url, https, dataDir: config.dataDir, workdirRoots: config.workdirRoots });
  const scheme = https ? "https" : "http";
  ownOrigins = [url, `${scheme}://127.0.0.1:${port}`, `${scheme}://localhost:${port}`, `${scheme}://[::1]:${port}`];
  machines.start();
  await writeServerInfo(config.dataDir, {
    pid: process.pid,
    origin: config.publicUrl ?? url,
    port,
    host: config.host,
    version: packageJson.version,
    tokenFromEnv: config.token !== undefined,
    startedAt: new Date().toISOString(),
  });

  return {
    url,
    port,
    https,
    service,
    projects,
    push,
    machines,
    get pairingUrl() {
      return pairingUrl(config.publicUrl ?? url, currentToken);
    },
    speech: () => transcription.check(),
    async stop() {
      ready = false;
      tokenWatch?.stop();
      await removeServerInfo(config.dataDir);
      machines.stop();
      await io.close();
      await push.stop();
      await service.shutdown();
      await projects.index.settled();
      await server.stop(true);
      await transcription.close();
      db.close();
    },
  };
}

/** The cap on request bodies for routes that take none or a small one (pairing takes 4 KB). */
const SMALL_BODY = 64 * 1024;

/** The address a phone can reach: for a wildcard bind, the first LAN IPv4 address. */
function publicHost(host: string): string {
  if (host !== "0.0.0.0" && host !== "::") return host.includes(":") ? `[${host}]` : host;
  for (const addresses of Object.values(networkInterfaces())) {
    const lan = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (lan) return lan.address;
  }
  return "127.0.0.1";
}

/** How the user runs the commands (the `pocket-agent` launcher says; else the repository's script). */
export function commandName(env: Record<string, string | undefined> = process.env): string {
  return env.POCKET_COMMAND || "npm run cli --";
}

export interface RunOptions {
  /** The built client (default: dist/ beside src/). */
  distDir?: string;
}

/**
 * Runs the server in the foreground (`npm start`, `pocket-agent start`): the start-up banner,
 * then until SIGINT/SIGTERM. Exits 1 with the reason when it cannot start.
 */
export async function runServer(config: Config, options: RunOptions = {}): Promise<RunningServer> {
  // Started first: the CLI answers in about 0.7 s, while the server starts.
  const claude = claudeLoginStatus(config.claudePath ?? bundledClaudePath(), { ...process.env });
  let running: RunningServer;
  try {
    const assets = await createClientAssets({
      dev: !config.production,
      distDir: options.distDir ?? resolve(import.meta.dir, "../../dist"),
    });
    running = await startServer({
      config,
      clientAssets: assets.fetch,
      scriptHashes: assets.scriptHashes,
      ...(config.production ? {} : { routes: assets.routes as Record<string, Bun.HTMLBundle> }),
      onListening: assets.listening,
    });
  } catch (error) {
    // A weak token file, a missing build, a busy port: the reason, not a stack trace.
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  printStartupBanner({
    version: packageJson.version,
    url: running.url,
    pairingUrl: running.pairingUrl,
    claude: await claude,
    speech: await running.speech(),
    dataDir: config.dataDir,
    workdirRoots: config.workdirRoots,
    command: commandName(),
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    // The launcher forwards signals: a Ctrl-C can arrive twice (from the terminal and from it).
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    await running.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  return running;
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
  await runServer(config);
}
