/**
 * How much guessing a chosen token would take. A length rule alone let
 * `aaaaaaaaaaaaaaaa` through; the throttle only slows guessing, so the token
 * itself must be out of reach: at least 128 bits.
 *
 * The estimate is deliberately simple: length × log2 of the alphabet the
 * token draws from (digits, hex, lower, upper, other characters), and the
 * characters must actually vary (Shannon entropy per character) and not repeat
 * one chunk (`password-password-…`), so a patterned string is refused even
 * when it is long. Random tokens
 * from `openssl rand -hex 16` (128 bits) or `-base64 32` pass; words do not.
 */

export const MIN_TOKEN_BITS = 128;
/** 32 random hex digits measure 3.6 ± 0.2 bits per character; a handful of repeated characters measures less. */
const MIN_BITS_PER_CHAR = 2.5;
export const TOKEN_ADVICE = "Generate one with `openssl rand -hex 32`, or unset it to use the generated token.";

/** The estimated strength in bits. */
export function tokenBits(token: string): number {
  const classes = [
    /[0-9]/.test(token) ? 10 : 0,
    /[a-z]/.test(token) ? (/[g-z]/.test(token) ? 26 : 6) : 0,
    /[A-Z]/.test(token) ? (/[G-Z]/.test(token) ? 26 : 6) : 0,
    /[-_]/.test(token) ? 2 : 0,
    /[^0-9a-zA-Z\-_]/.test(token) ? 32 : 0,
  ];
  const alphabet = classes.reduce((a, b) => a + b, 0);
  const length = [...token].length;
  return alphabet > 1 ? Math.floor(length * Math.log2(alphabet)) : 0;
}

/** Empirical entropy of the characters in bits per character (0 for one repeated character). */
export function bitsPerChar(token: string): number {
  const chars = [...token];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / chars.length) * Math.log2(n / chars.length);
  return bits;
}

/** Why `token` is too weak to protect the server, or null when it is strong enough. */
export function tokenWeakness(token: string, source = "POCKET_TOKEN"): string | null {
  if (/\s/.test(token)) return `${source} must not contain whitespace.`;
  const bits = tokenBits(token);
  if (bits < MIN_TOKEN_BITS) {
    return `${source} is too weak (about ${bits} bits; at least ${MIN_TOKEN_BITS} are needed). ${TOKEN_ADVICE}`;
  }
  if (bitsPerChar(token) < MIN_BITS_PER_CHAR || repeatsAChunk(token)) {
    return `${source} varies too little to be random (at least ${MIN_TOKEN_BITS} bits are needed). ${TOKEN_ADVICE}`;
  }
  return null;
}

/** True when the whole token is one chunk (at most half its length) written again and again. */
function repeatsAChunk(token: string): boolean {
  const chars = [...token];
  for (let period = 1; period <= chars.length / 2; period++) {
    if (chars.every((c, i) => i < period || c === chars[i - period])) return true;
  }
  return false;
}
