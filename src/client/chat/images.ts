/**
 * Images picked or pasted on the device, made ready to send: checked by their bytes, and
 * downscaled here (canvas) when larger than the model would see them, so a phone uploads a few
 * hundred KB instead of a 12-megapixel photo (decision 050).
 */
import { IMAGE_MEDIA_TYPES, type ImageMediaType, LIMITS, sniffImageType } from "../../shared/constants.ts";
import type { OutgoingImage } from "./turns.ts";

export type PrepareResult = { ok: true; image: OutgoingImage } | { ok: false; reason: string };

/** JPEG quality for a photo re-encoded on the device. */
const JPEG_QUALITY = 0.86;

function isSendable(type: string): type is ImageMediaType {
  return (IMAGE_MEDIA_TYPES as readonly string[]).includes(type);
}

/** How big to draw an image so its longer edge is at most `LIMITS.imageEdgePx`; null when it already fits. */
export function fittedSize(
  width: number,
  height: number,
  maxEdge = LIMITS.imageEdgePx,
): { width: number; height: number } | null {
  const longest = Math.max(width, height);
  if (longest <= maxEdge) return null;
  const scale = maxEdge / longest;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A name for a pasted image, which has none of its own. */
function nameFor(file: File, mediaType: ImageMediaType): string {
  const base = file.name?.trim() || `image-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}`;
  const extension = mediaType.slice("image/".length).replace("jpeg", "jpg");
  const name = /\.[a-z0-9]+$/i.test(base) ? base.replace(/\.[a-z0-9]+$/i, `.${extension}`) : `${base}.${extension}`;
  return name.slice(-LIMITS.attachmentNameChars);
}

async function encode(
  bitmap: ImageBitmap,
  size: { width: number; height: number },
  type: ImageMediaType,
): Promise<Blob> {
  const canvas = document.createElement("canvas");
  canvas.width = size.width;
  canvas.height = size.height;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("no 2D canvas");
  if (type === "image/jpeg") {
    // JPEG has no transparency: what was transparent becomes white, not black.
    context.fillStyle = "#fff";
    context.fillRect(0, 0, size.width, size.height);
  }
  context.drawImage(bitmap, 0, 0, size.width, size.height);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, type, JPEG_QUALITY));
  if (!blob) throw new Error("the browser could not encode the image");
  return blob;
}

/**
 * Makes a file ready to send. Kept as it is when it is a PNG, JPEG, GIF or WebP that fits (an
 * animated GIF stays animated); otherwise decoded and drawn again: downscaled to the API's edge,
 * PNG staying PNG (screenshots stay sharp) and anything else becoming JPEG (e.g. a HEIC photo).
 */
export async function prepareImage(file: File): Promise<PrepareResult> {
  const original = new Uint8Array(await file.arrayBuffer());
  const sniffed = sniffImageType(original);
  let bitmap: ImageBitmap | null = null;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    if (!sniffed) return { ok: false, reason: `${file.name || "That file"} is not an image this app can send.` };
  }
  try {
    const fit = bitmap ? fittedSize(bitmap.width, bitmap.height) : null;
    if (sniffed && isSendable(sniffed) && !fit && original.byteLength <= LIMITS.attachmentBytes) {
      return { ok: true, image: made(file, sniffed, original) };
    }
    if (!bitmap) return { ok: false, reason: `${file.name || "That image"} could not be read.` };
    const size = fit ?? { width: bitmap.width, height: bitmap.height };
    let type: ImageMediaType = sniffed === "image/png" ? "image/png" : "image/jpeg";
    let blob = await encode(bitmap, size, type);
    if (blob.size > LIMITS.attachmentBytes && type === "image/png") {
      type = "image/jpeg";
      blob = await encode(bitmap, size, type);
    }
    if (blob.size > LIMITS.attachmentBytes) {
      return { ok: false, reason: `${file.name || "That image"} is larger than 5 MB even when made smaller.` };
    }
    return { ok: true, image: made(file, type, new Uint8Array(await blob.arrayBuffer())) };
  } catch {
    return { ok: false, reason: `${file.name || "That image"} could not be prepared.` };
  } finally {
    bitmap?.close();
  }
}

function made(file: File, mediaType: ImageMediaType, data: Uint8Array): OutgoingImage {
  return {
    key: crypto.randomUUID(),
    name: nameFor(file, mediaType),
    mediaType,
    data,
    previewUrl: URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type: mediaType })),
  };
}
