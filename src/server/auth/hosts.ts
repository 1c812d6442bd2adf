/**
 * The Host allowlist against DNS rebinding: a page on `evil.example` that
 * re-points its name at this machine sends `Host: evil.example`, so only the
 * names this server is known by are answered.
 *
 * Known: the listen address, `localhost` (and `*.localhost`), the certificate's
 * names, and the hosts of `POCKET_ALLOWED_ORIGINS` / `POCKET_PUBLIC_URL`. Any IP
 * address literal is accepted too: rebinding needs a name the attacker controls,
 * and a browser that addresses an IP sends that IP. Ports are not compared: a
 * proxy may forward from another port, and the name is what rebinding forges.
 */
import { isIP } from "node:net";

export interface HostAllowlistOptions {
  /** The listen address (`HOST`). */
  listenHost: string;
  /** Certificate names and addresses. */
  names?: readonly string[];
  /** Allowed browser origins (configured, `POCKET_ALLOWED_ORIGINS`, `POCKET_PUBLIC_URL`). */
  origins?: readonly string[];
}

/** The host name of a `Host` header without port or brackets, lower-cased; null when it is not a valid host. */
export function hostName(header: string | null | undefined): string | null {
  if (!header) return null;
  try {
    const url = new URL(`http://${header}`);
    if (url.host !== header.toLowerCase() && `${url.host}:80` !== header.toLowerCase()) return null;
    return url.hostname.replace(/^\[|\]$/g, "");
  } catch {
    return null;
  }
}

/** Whether a request addressed to `header` (its `Host`) is for this server. */
export function createHostAllowlist(options: HostAllowlistOptions): (header: string | null) => boolean {
  const known = new Set<string>([options.listenHost.toLowerCase().replace(/^\[|\]$/g, ""), "localhost"]);
  for (const name of options.names ?? []) known.add(name.toLowerCase());
  for (const origin of options.origins ?? []) known.add(new URL(origin).hostname.replace(/^\[|\]$/g, ""));
  return (header) => {
    const name = hostName(header);
    if (name === null) return false;
    return isIP(name) !== 0 || known.has(name) || name.endsWith(".localhost");
  };
}
