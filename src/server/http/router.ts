import type { Server as Engine } from "@socket.io/bun-engine";
import type { Server as BunServer } from "bun";
import type { ErrorCode } from "../../shared/messages.ts";
import type { Auth } from "../auth/index.ts";
import type { RequestTarget } from "./gate.ts";

export interface RouterOptions {
  engine: Engine;
  /** Every door's check: pairing routes, then credentials for /api/*. */
  auth: Pick<Auth, "checkHttp" | "handleAuthRoutes">;
  /** Before everything, for every path: URL, Host, decoded path, body size (`./gate.ts`). */
  gate: (req: Request) => RequestTarget | Response;
  /** Adds CSP and the other security headers to every response. */
  secure: (res: Response, req: Request) => Response;
  /** True once storage is open and recovery has run. */
  isReady: () => boolean;
  transcribe: (req: Request) => Promise<Response>;
  /** `GET /api/transcribe`: whether voice works here, and if not, how to set it up. */
  transcribeStatus: () => Promise<unknown>;
  /** `/api/push/*` (src/server/push/routes.ts); null for paths it does not own. */
  push?: (req: Request, path: string) => Promise<Response | null>;
  /** `/api/attachments/<id>` (src/server/attachments/routes.ts); null for paths it does not own. */
  attachments?: (req: Request, path: string) => Promise<Response | null>;
  /** The PWA's assets (given the decoded path); null for paths it does not own. */
  clientAssets?: (req: Request, path: string) => Promise<Response | null>;
}

export const json = (status: number, body: unknown, headers: HeadersInit = {}) =>
  Response.json(body, { status, headers });

/** An HTTP error body, `{ error, code }`, with a code from the closed set. */
export const jsonError = (status: number, code: ErrorCode, error: string, headers: HeadersInit = {}) =>
  json(status, { error, code }, headers);

/**
 * The HTTP side of the server: a health check, the REST endpoints (`POST /api/transcribe`, with
 * `GET` for its status; `/api/push/status` and `/api/push/action`), the Socket.IO engine and the
 * PWA. Chat and sessions travel over Socket.IO only, so `/api/chat` and `/api/sessions` are
 * deliberately 404.
 */
export function createRouter(options: RouterOptions) {
  return async function fetch(req: Request, server: BunServer<unknown>): Promise<Response | undefined> {
    const target = options.gate(req);
    if (target instanceof Response) return options.secure(target, req);
    const { path } = target;
    const ip = server.requestIP(req)?.address ?? "unknown";
    const early = options.auth.checkHttp(req, ip, path) ?? (await options.auth.handleAuthRoutes(req, ip, path));
    const res = early ?? (await route(req, server, path));
    // undefined: the engine upgraded the request to a websocket.
    return res && options.secure(res, req);
  };

  async function route(req: Request, server: BunServer<unknown>, path: string): Promise<Response | undefined> {
    if (path.startsWith("/socket.io/")) {
      // The engine answers the polling requests and upgrades websockets itself (then there is no Response).
      return options.engine.handleRequest(req, server);
    }
    if (path === "/healthz") {
      return options.isReady() ? json(200, { status: "ok" }) : json(503, { status: "starting" });
    }
    if (path === "/api/transcribe") {
      if (req.method === "GET") return json(200, await options.transcribeStatus(), { "cache-control": "no-store" });
      if (req.method !== "POST") {
        return jsonError(405, "METHOD_NOT_ALLOWED", "Use GET or POST.", { allow: "GET, POST" });
      }
      return options.transcribe(req);
    }
    if (path.startsWith("/api/push/")) {
      const res = await options.push?.(req, path);
      if (res) return res;
    }
    if (path.startsWith("/api/attachments/")) {
      const res = await options.attachments?.(req, path);
      if (res) return res;
    }
    if (path.startsWith("/api/")) {
      return jsonError(404, "NOT_FOUND", `No endpoint ${path}. Chat and sessions use Socket.IO.`);
    }
    const asset = await options.clientAssets?.(req, path);
    return asset ?? new Response("Not found", { status: 404 });
  }
}
