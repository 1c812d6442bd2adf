import { type AttachmentInfo, LIMITS, sniffImageType } from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";
import { readBodyBytes } from "../http/body.ts";
import type { LinkTarget } from "./link.ts";

/** A remote session's image as the machine that stored it serves it. */
export interface RemoteImage {
  name: string;
  mediaType: AttachmentInfo["mediaType"];
  data: Uint8Array;
}

const FETCH_TIMEOUT_MS = 10_000;

/**
 * Reads an image from the machine's own `GET /api/attachments/<id>`, with the link's token as a
 * phone sends it (`Authorization: Bearer`) and its pinned certificate as the only CA (decision
 * 063). Null when the machine has no such image; MACHINE_OFFLINE when it cannot be reached or
 * answers with anything but an image of the type the mirrored event names.
 */
export async function fetchRemoteImage(target: LinkTarget, info: AttachmentInfo): Promise<RemoteImage | null> {
  let res: Response;
  try {
    res = await fetch(`${target.url}/api/attachments/${info.id}`, {
      headers: { authorization: `Bearer ${target.token}` },
      redirect: "error",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      ...(target.pin?.pem ? { tls: { ca: target.pin.pem } } : {}),
    });
  } catch (error) {
    throw new PocketError("MACHINE_OFFLINE", `The machine did not answer: ${(error as Error).message}`);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return null;
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new PocketError("MACHINE_OFFLINE", `The machine answered ${res.status}.`);
  }
  const data = await readBodyBytes(res, LIMITS.attachmentBytes).catch(() => null);
  // The bytes decide the type, as for an upload: a machine cannot make this server serve anything else.
  if (!data || sniffImageType(data) !== info.mediaType) {
    throw new PocketError("MACHINE_OFFLINE", "The machine's answer is not the image its message named.");
  }
  return { name: info.name, mediaType: info.mediaType, data };
}
