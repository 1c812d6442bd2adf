/**
 * One push request: the `web-push` library builds it (VAPID JWT, RFC 8292; aes128gcm encryption of
 * the payload for the device's keys, RFC 8291) and `fetch` sends it, with a timeout. web-push's own
 * `sendNotification` always uses `https.request`, cannot be bounded by a signal, and cannot reach
 * the loopback `http:` endpoints the tests use.
 */
import webpush from "web-push";
import { endpointOrigin } from "./endpoint.ts";
import type { VapidKeys } from "./vapidKeys.ts";

export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface SendOptions {
  /** Seconds the push service keeps the message for an offline device. */
  ttlSeconds: number;
  urgency: "very-low" | "low" | "normal" | "high";
  /** Replaces an undelivered message with the same topic (one per session). */
  topic?: string;
}

export type SendOutcome =
  | { status: "sent"; httpStatus: number }
  /** 404 or 410: the subscription is gone for good. */
  | { status: "gone"; httpStatus: number }
  | { status: "failed"; error: string; httpStatus?: number; retryAfterMs?: number };

export interface PushSenderOptions {
  vapid: VapidKeys;
  /** The VAPID `sub` claim: a `mailto:` or `https:` contact for the push service's operators. */
  subject: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export class PushSender {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: PushSenderOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  async send(target: PushTarget, payload: unknown, options: SendOptions): Promise<SendOutcome> {
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails(
        { endpoint: target.endpoint, keys: target.keys },
        JSON.stringify(payload),
        {
          vapidDetails: {
            subject: this.options.subject,
            publicKey: this.options.vapid.publicKey,
            privateKey: this.options.vapid.privateKey,
          },
          TTL: options.ttlSeconds,
          urgency: options.urgency,
          ...(options.topic ? { topic: options.topic } : {}),
          contentEncoding: "aes128gcm",
        },
      );
    } catch (error) {
      // A key the library cannot encrypt for: retrying cannot help, but it is a failure to see.
      return { status: "failed", error: `could not build the request: ${errorText(error)}` };
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(details.headers)) {
      // fetch frames the body itself.
      if (name.toLowerCase() !== "content-length") headers.set(name, String(value));
    }
    let response: Response;
    try {
      response = await this.fetch(details.endpoint, {
        method: "POST",
        headers,
        body: details.body ? new Uint8Array(details.body) : null,
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      return {
        status: "failed",
        error: timedOut ? `no answer within ${this.options.timeoutMs} ms` : `network error: ${errorText(error)}`,
      };
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { status: "sent", httpStatus: response.status };
    if (response.status === 404 || response.status === 410) return { status: "gone", httpStatus: response.status };
    const retryAfterMs = retryAfter(response.headers.get("retry-after"));
    return {
      status: "failed",
      httpStatus: response.status,
      error: `${endpointOrigin(target.endpoint)} answered ${response.status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Retry-After in milliseconds (seconds or an HTTP date), or undefined. */
function retryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
