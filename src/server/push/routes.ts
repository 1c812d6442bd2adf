/**
 * The REST side of Web Push, behind the usual authentication (cookie or bearer, checked by
 * src/server/auth before routing):
 *
 * - `GET /api/push/status` → `{ vapidPublicKey, devices }`;
 * - `POST /api/push/action` `{ permissionId, decision, actionToken }`: Allow or Deny tapped on a
 *   notification, answered exactly as `permission:respond` is. The token is one use, that
 *   permission only, 15 minutes: 403 `ACTION_TOKEN_INVALID`, 409 `ACTION_TOKEN_USED`,
 *   410 `ACTION_TOKEN_EXPIRED`; an answered permission 409 `PERMISSION_NOT_PENDING`. A linked
 *   machine's permission is answered on that machine: 503 `MACHINE_OFFLINE` while it is not reachable.
 */
import { describeIssues, PushActionRequest } from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";
import { readBodyLimited } from "../http/body.ts";
import { json, jsonError } from "../http/router.ts";
import { createLogger } from "../logger.ts";
import { PushActionError, type PushService } from "./pushService.ts";

const log = createLogger("push");

export const PUSH_STATUS_PATH = "/api/push/status";
export const PUSH_ACTION_PATH = "/api/push/action";
const MAX_ACTION_BODY_BYTES = 4_096;
const NO_STORE = { "cache-control": "no-store" };

/** HTTP statuses of the domain's errors on this endpoint. */
const STATUS_OF: Partial<Record<PocketError["code"], number>> = {
  PERMISSION_NOT_PENDING: 409,
  SESSION_NOT_FOUND: 404,
  INVALID_PAYLOAD: 400,
  // The session's machine is offline (or did not answer): the app can answer once it is back.
  MACHINE_OFFLINE: 503,
};

/** Answers the push paths; null for any other. */
export function createPushRoutes(push: PushService): (req: Request, path: string) => Promise<Response | null> {
  return async (req, path) => {
    if (path === PUSH_STATUS_PATH) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return jsonError(405, "METHOD_NOT_ALLOWED", "Use GET.", { allow: "GET, HEAD", ...NO_STORE });
      }
      return json(200, push.status(), NO_STORE);
    }
    if (path !== PUSH_ACTION_PATH) return null;
    if (req.method !== "POST") return jsonError(405, "METHOD_NOT_ALLOWED", "Use POST.", { allow: "POST", ...NO_STORE });
    const contentType = (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (contentType !== "application/json") {
      return jsonError(415, "INVALID_PAYLOAD", "Send JSON: Content-Type: application/json.", NO_STORE);
    }
    const text = await readBodyLimited(req, MAX_ACTION_BODY_BYTES);
    if (text === null) return jsonError(413, "INVALID_PAYLOAD", "Request body too large.", NO_STORE);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return jsonError(400, "INVALID_PAYLOAD", "The body is not JSON.", NO_STORE);
    }
    const parsed = PushActionRequest.safeParse(body);
    if (!parsed.success) {
      return jsonError(400, "INVALID_PAYLOAD", `Invalid push action: ${describeIssues(parsed.error)}`, NO_STORE);
    }
    try {
      return json(200, await push.act(parsed.data), NO_STORE);
    } catch (error) {
      if (error instanceof PushActionError) return jsonError(error.status, error.code, error.message, NO_STORE);
      if (error instanceof PocketError) {
        return jsonError(STATUS_OF[error.code] ?? 400, error.code, error.message, NO_STORE);
      }
      log.error("push action failed", { error: error instanceof Error ? error.stack : String(error) });
      return jsonError(500, "INTERNAL_ERROR", "The server failed to handle this request.", NO_STORE);
    }
  };
}
