/**
 * The pairing cookie. Over HTTPS it is named with the `__Host-` prefix, which
 * browsers only accept with `Secure`, `Path=/` and no `Domain`: no other host or
 * subdomain can plant or overwrite it.
 */

/** One year: long enough that a paired phone stays paired; rotating the token ends it sooner. */
export const COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

export function authCookieName(secure: boolean): string {
  return secure ? "__Host-pocket_auth" : "pocket_auth";
}

/** The exact `Set-Cookie` value that pairs this browser. */
export function serializeAuthCookie(value: string, secure: boolean): string {
  const parts = [
    `${authCookieName(secure)}=${value}`,
    "Path=/",
    `Max-Age=${COOKIE_MAX_AGE_SECONDS}`,
    "HttpOnly",
    "SameSite=Strict",
  ];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** Every value sent for cookie `name` (a browser may send several cookies with one name). */
export function readCookieValues(cookieHeader: string | null | undefined, name: string): string[] {
  if (!cookieHeader) return [];
  const values: string[] = [];
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (value) values.push(value);
  }
  return values;
}
