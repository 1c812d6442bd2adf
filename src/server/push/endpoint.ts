/**
 * Which push endpoints the server will POST to. Browsers' push services are `https:`; the tests'
 * fake push service is `http:` on 127.0.0.1, which is allowed on a loopback address only (an
 * `http:` endpoint elsewhere would send the request, VAPID signature included, in the clear).
 */
import { isIP } from "node:net";

export type EndpointVerdict = { ok: true; url: URL } | { ok: false; reason: string };

export function checkEndpoint(endpoint: string): EndpointVerdict {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, reason: "The endpoint is not a URL." };
  }
  if (url.username || url.password) return { ok: false, reason: "The endpoint must not carry credentials." };
  if (url.hash) return { ok: false, reason: "The endpoint must not have a fragment." };
  if (url.protocol === "https:") return { ok: true, url };
  if (url.protocol === "http:" && isLoopbackAddress(url.hostname)) return { ok: true, url };
  return { ok: false, reason: "The endpoint must be https:, or http: on a loopback address." };
}

/** 127.0.0.0/8 or ::1, as an address (a name such as `localhost` could resolve anywhere). */
export function isLoopbackAddress(hostname: string): boolean {
  const host = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  if (isIP(host) === 4) return host.split(".")[0] === "127";
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/** What may be logged about an endpoint: its origin (the path is a capability, like a password). */
export function endpointOrigin(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return "(invalid)";
  }
}
