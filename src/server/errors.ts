import { type ErrorCode, errorCodeMeaning } from "../shared/messages.ts";

/**
 * The one error class domain code throws for an expected failure. It carries
 * a code from the protocol's closed set, so the transport can answer with a
 * typed `*:error` without guessing. Anything else thrown is a bug and is
 * reported as INTERNAL_ERROR (its message is logged, not sent).
 */
export class PocketError extends Error {
  override name = "PocketError";
  constructor(
    readonly code: ErrorCode,
    message: string = errorCodeMeaning[code],
  ) {
    super(message);
  }
}
