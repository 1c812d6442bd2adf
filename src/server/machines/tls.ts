import { X509Certificate } from "node:crypto";
import * as tls from "node:tls";

/** The certificate a link verifies a machine with (decision 060). */
export interface Pin {
  /** SHA-256 of `pem`, `AA:BB:…`: what the user is shown and confirms. */
  fingerprint: string;
  /**
   * PEM of the chain's self-signed root (a Pocket Agent server's local CA, or a self-signed
   * server certificate): the only CA the link then trusts for this machine. Null when the chain
   * ends in a certificate that is not self-signed (a public CA's): the system's CAs verify it, and
   * the fingerprint is the server certificate's.
   */
  pem: string | null;
}

interface PeerCertificate {
  raw?: Buffer;
  fingerprint256?: string;
  issuerCertificate?: PeerCertificate;
}

/**
 * Opens a TLS connection without verifying it and reads the certificate chain the machine
 * presents: its root is what gets pinned on first use. Rejects when the machine cannot be reached.
 */
export function readPin(url: string, timeoutMs = 5_000): Promise<Pin> {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port: Number(port || 443),
      rejectUnauthorized: false,
      // SNI takes a name, never an address.
      ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }),
    });
    const timer = setTimeout(() => socket.destroy(new Error("TLS handshake timed out")), timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      try {
        resolve(pinOf(socket.getPeerCertificate(true) as PeerCertificate));
      } catch (error) {
        reject(error);
      } finally {
        socket.end();
      }
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function pinOf(leaf: PeerCertificate): Pin {
  if (!leaf.raw || !leaf.fingerprint256) throw new Error("the machine presented no certificate");
  const seen = new Set<string>();
  let current: PeerCertificate = leaf;
  while (current.issuerCertificate && current.issuerCertificate !== current) {
    if (!current.issuerCertificate.fingerprint256 || seen.has(current.issuerCertificate.fingerprint256)) break;
    seen.add(current.fingerprint256 ?? "");
    current = current.issuerCertificate;
  }
  const root = current.raw ? new X509Certificate(current.raw) : null;
  if (root?.checkIssued(root) && root.verify(root.publicKey)) {
    return { fingerprint: root.fingerprint256, pem: root.toString() };
  }
  return { fingerprint: leaf.fingerprint256, pem: null };
}
