/**
 * Checks the images a message carries before anything is stored or sent to the agent: the bytes
 * decide the type (magic numbers), never the name or the declared `mediaType`.
 */
import { type ChatAttachment, type ImageMediaType, LIMITS, sniffImageType } from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";

/** An image that passed the checks: its type is the one its bytes say. */
export interface CheckedImage {
  name: string;
  mediaType: ImageMediaType;
  data: Uint8Array;
}

/**
 * The images, checked; throws INVALID_ATTACHMENT naming the first bad one. The schema already
 * bounds count and size; they are checked again here so the domain holds on its own.
 */
export function checkImages(attachments: readonly ChatAttachment[]): CheckedImage[] {
  if (attachments.length > LIMITS.attachments) {
    throw new PocketError("INVALID_ATTACHMENT", `At most ${LIMITS.attachments} images per message.`);
  }
  return attachments.map((attachment, index) => {
    const label = `Attachment ${index + 1} (${attachment.name})`;
    const size = attachment.data.byteLength;
    if (size === 0 || size > LIMITS.attachmentBytes) {
      throw new PocketError(
        "INVALID_ATTACHMENT",
        `${label} is ${size} bytes; an image may be 1 to ${LIMITS.attachmentBytes}.`,
      );
    }
    const actual = sniffImageType(attachment.data);
    if (!actual) {
      throw new PocketError("INVALID_ATTACHMENT", `${label} is not a PNG, JPEG, GIF or WebP image.`);
    }
    if (actual !== attachment.mediaType) {
      throw new PocketError(
        "INVALID_ATTACHMENT",
        `${label} says ${attachment.mediaType} but its content is ${actual}.`,
      );
    }
    return { name: attachment.name, mediaType: actual, data: attachment.data };
  });
}
