/**
 * Linked machines (issue 21, decision 060): the rules both sides apply to what the user types.
 * Free of Zod, so the client can use them without bundling the schemas.
 */

/** The id of the server the phone is paired with, in `Machine.id` and `Session.machineId`. */
export const LOCAL_MACHINE_ID = "local";

/** A request's `machineId`: left out for this server (as a server from before machines expects it). */
export function onMachine(machineId: string | undefined): { machineId?: string } {
  return machineId && machineId !== LOCAL_MACHINE_ID ? { machineId } : {};
}

/** A SHA-256 certificate fingerprint as Node prints it: 32 upper-case hex pairs joined by colons. */
export const FINGERPRINT_PATTERN = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * The machine's origin (`https://host:port`), or why it is refused: `https:` anywhere, `http:`
 * only on a loopback address (a token must not cross a network in clear text).
 */
export function checkMachineUrl(text: string): { ok: true; url: string } | { ok: false; reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(text.trim());
  } catch {
    return { ok: false, reason: "not a URL" };
  }
  if (parsed.username || parsed.password) return { ok: false, reason: "the URL must not carry a user name" };
  if (parsed.protocol === "https:") return { ok: true, url: parsed.origin };
  if (parsed.protocol === "http:" && isLoopback(parsed.hostname)) return { ok: true, url: parsed.origin };
  if (parsed.protocol === "http:") return { ok: false, reason: "http: is only allowed on a loopback address" };
  return { ok: false, reason: `${parsed.protocol} is not https:` };
}

/**
 * A remote's pairing URL (`https://host:port/?token=…`, as its start-up banner and
 * `pocket-agent pair` print it) split into the machine's origin and its token; null when the text
 * is not one.
 */
export function parsePairingUrl(text: string): { url: string; token: string } | null {
  let parsed: URL;
  try {
    parsed = new URL(text.trim());
  } catch {
    return null;
  }
  const token = parsed.searchParams.get("token");
  if (!token || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) return null;
  return { url: parsed.origin, token };
}

/** What a machine is called by default: its host (and port when it is not the scheme's own). */
export function defaultMachineName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
