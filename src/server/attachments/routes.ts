/**
 * `GET /api/attachments/<id>`: a stored image's bytes. Behind the same authentication as every
 * `/api/*` route (the router checks it first); the id is a random UUID, not a guessable number.
 * An image of a linked machine's session is read from that machine (decision 063).
 */
import type { ImageMediaType } from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";
import { jsonError } from "../http/router.ts";
import type { AttachmentStore } from "./store.ts";

/** An image some other server stored: a linked machine's, by the id its session's message names. */
export type RemoteImages = (
  id: string,
) => Promise<{ name: string; mediaType: ImageMediaType; data: Uint8Array } | null>;

const PREFIX = "/api/attachments/";
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createAttachmentRoutes(store: AttachmentStore, remote?: RemoteImages) {
  return async (req: Request, path: string): Promise<Response | null> => {
    if (!path.startsWith(PREFIX)) return null;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return jsonError(405, "METHOD_NOT_ALLOWED", "Use GET.", { allow: "GET, HEAD" });
    }
    const id = path.slice(PREFIX.length);
    if (!ID.test(id)) return jsonError(404, "NOT_FOUND", "No such attachment.");
    let image: { name: string; mediaType: ImageMediaType; data: Uint8Array } | null = store.get(id);
    try {
      image ??= (await remote?.(id)) ?? null;
    } catch (error) {
      if (!(error instanceof PocketError)) throw error;
      // Not cached: the image is there again once its machine is.
      return jsonError(503, error.code, "The machine this image is on cannot be reached now.", {
        "cache-control": "no-store",
        "retry-after": "10",
      });
    }
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
