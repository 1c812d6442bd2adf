/**
 * Tiny IP address helpers (parsing, canonical text, subnet membership) for the
 * certificate names and their name constraints.
 */
import { isIP } from "node:net";

/** The address as 4 or 16 bytes; null when `text` is not an IP address. A zone (`%eth0`) and brackets are ignored. */
export function ipBytes(text: string): number[] | null {
  const plain =
    text
      .trim()
      .replace(/^\[|\]$/g, "")
      .split("%")[0] ?? "";
  const family = isIP(plain);
  if (family === 4) return plain.split(".").map(Number);
  if (family !== 6) return null;
  let address = plain.toLowerCase();
  let tailBytes: number[] = [];
  const lastColon = address.lastIndexOf(":");
  const maybeV4 = address.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    tailBytes = maybeV4.split(".").map(Number);
    address = `${address.slice(0, lastColon + 1)}0:0`;
  }
  const [head = "", tail] = address.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  const bytes = groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tailBytes.length === 4) bytes.splice(12, 4, ...tailBytes);
  return bytes;
}

/** Canonical text: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
export function formatIp(bytes: readonly number[]): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** The canonical form of an IP address, or null when `text` is not one. */
export function canonicalIp(text: string): string | null {
  const bytes = ipBytes(text);
  return bytes ? formatIp(bytes) : null;
}

export interface Subnet {
  /** Network address bytes (4 or 16). */
  network: number[];
  prefix: number;
}

export function subnet(cidr: string): Subnet {
  const [address = "", prefixText] = cidr.split("/");
  const network = ipBytes(address);
  if (!network) throw new Error(`Not a subnet: ${cidr}`);
  const prefix = prefixText === undefined ? network.length * 8 : Number(prefixText);
  return { network, prefix };
}

export function inSubnet(bytes: readonly number[], net: Subnet): boolean {
  if (bytes.length !== net.network.length) return false;
  for (let bit = 0; bit < net.prefix; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((bytes[byte] ?? 0) & mask) !== ((net.network[byte] ?? 0) & mask)) return false;
  }
  return true;
}
