/**
 * `GET /api/attachments/<id>`: a stored image's bytes. Behind the same authentication as every
 * `/api/*` route (the router checks it first); the id is a random UUID, not a guessable number.
 */
import { jsonError } from "../http/router.ts";
import type { AttachmentStore } from "./store.ts";

const PREFIX = "/api/attachments/";
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createAttachmentRoutes(store: AttachmentStore) {
  return (req: Request, path: string): Response | null => {
    if (!path.startsWith(PREFIX)) return null;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return jsonError(405, "METHOD_NOT_ALLOWED", "Use GET.", { allow: "GET, HEAD" });
    }
    const id = path.slice(PREFIX.length);
    const image = ID.test(id) ? store.get(id) : null;
    if (!image) return jsonError(404, "NOT_FOUND", "No such attachment.");
    return new Response(req.method === "HEAD" ? null : (image.data as Uint8Array<ArrayBuffer>), {
      headers: {
        "content-type": image.mediaType,
        // An image never changes under its id; only this device's browser may keep it.
        "cache-control": "private, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
        "content-disposition": `inline; filename*=UTF-8''${encodeURIComponent(image.name)}`,
      },
    });
  };
}
