import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import crypto from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import type os from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { setLogSink } from "../logger.ts";
import { canonicalIp, formatIp, ipBytes } from "./ip.ts";
import { certificateNames, covered, isLoopbackHost, needsTls, permittedFor, resolveTls, sanNames } from "./tls.ts";

const OPENSSL = Bun.which("openssl");

let dir: string;
let restoreSink: () => void;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-tls-"));
  restoreSink = setLogSink(() => undefined);
});
afterAll(async () => {
  restoreSink();
  await rm(dir, { recursive: true, force: true });
});

const iface = (address: string, family: "IPv4" | "IPv6", internal = false): os.NetworkInterfaceInfo =>
  family === "IPv4"
    ? { address, family, internal, netmask: "255.255.255.0", mac: "00:00:00:00:00:00", cidr: null }
    : { address, family, internal, netmask: "ffff:ffff:ffff:ffff::", mac: "00:00:00:00:00:00", cidr: null, scopeid: 0 };

const lan = (addresses: os.NetworkInterfaceInfo[]) => () => ({
  lo: [iface("127.0.0.1", "IPv4", true), iface("::1", "IPv6", true)],
  eth0: addresses,
});

async function openssl(args: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([OPENSSL ?? "openssl", ...args], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, out: out + err };
}

describe("isLoopbackHost / needsTls", () => {
  test("loopback names and addresses", () => {
    for (const host of [
      "127.0.0.1",
      "127.9.9.9",
      "localhost",
      "LOCALHOST.",
      "app.localhost",
      "::1",
      "[::1]",
      "::ffff:127.0.0.1",
    ]) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "192.168.1.5", "box.local", "10.0.0.1", "::ffff:10.0.0.1", ""]) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  test("HTTPS when bound beyond loopback, with --lan, or when a certificate is given", () => {
    expect(needsTls({ host: "127.0.0.1", dataDir: dir })).toBe(false);
    expect(needsTls({ host: "0.0.0.0", dataDir: dir })).toBe(true);
    expect(needsTls({ host: "127.0.0.1", lan: true, dataDir: dir })).toBe(true);
    expect(needsTls({ host: "127.0.0.1", dataDir: dir, tls: { cert: "c", key: "k" } })).toBe(true);
  });

  test("resolveTls on loopback → null (plain HTTP)", async () => {
    expect(await resolveTls({ host: "127.0.0.1", dataDir: dir })).toBeNull();
  });
});

describe("certificateNames", () => {
  test("host name, <host>.local, localhost, loopback and every LAN address; not link-local", () => {
    const names = certificateNames(
      { host: "0.0.0.0", dataDir: dir },
      {
        hostname: "MyBox",
        networkInterfaces: lan([
          iface("192.168.1.23", "IPv4"),
          iface("2001:db8:0:0:0:0:0:42", "IPv6"),
          iface("fe80::1", "IPv6"),
          iface("169.254.3.3", "IPv4"),
        ]),
      },
    );
    expect(names).toEqual(["127.0.0.1", "192.168.1.23", "2001:db8::42", "::1", "localhost", "mybox", "mybox.local"]);
  });

  test("a specific HOST is included", () => {
    const names = certificateNames(
      { host: "pocket.example.lan", dataDir: dir },
      { hostname: "h", networkInterfaces: lan([]) },
    );
    expect(names).toContain("pocket.example.lan");
  });
});

describe.skipIf(!OPENSSL)("resolveTls: generated certificate (openssl)", () => {
  const settings = () => ({ host: "0.0.0.0", dataDir: join(dir, "gen") });
  const options = (addresses = [iface("192.168.1.23", "IPv4")]) => ({
    hostname: "mybox",
    networkInterfaces: lan(addresses),
  });

  test("first start: a CA and a server certificate for every name; keys 0600 in a 0700 dir", async () => {
    const material = await resolveTls(settings(), options());
    expect(material).not.toBeNull();
    if (!material?.ca) throw new Error("expected a generated certificate");
    expect(material.selfSigned).toBe(true);
    expect(material.names).toContain("localhost");
    expect(material.names).toContain("127.0.0.1");
    expect(material.names).toContain("192.168.1.23");
    expect(material.ca.created).toBe(true);

    const leaf = new crypto.X509Certificate(material.cert);
    const ca = new crypto.X509Certificate(material.ca.cert);
    expect(sanNames(leaf)).toEqual(material.names);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(ca.ca).toBe(true);
    expect(leaf.checkHost("localhost")).toBe("localhost");
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
    const days = (leaf.validToDate.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(820);
    expect(days).toBeLessThanOrEqual(825); // Apple's limit for user-trusted TLS certificates

    const tlsDir = join(settings().dataDir, "tls");
    expect((await stat(tlsDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(tlsDir, "key.pem"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(tlsDir, "ca-key.pem"))).mode & 0o777).toBe(0o600);
    expect(material.ca.file).toBe(join(tlsDir, "ca-cert.pem"));

    const text = (await openssl(["x509", "-in", join(tlsDir, "cert.pem"), "-noout", "-text"])).out;
    expect(text).toContain("TLS Web Server Authentication");
    expect(text).toContain("CA:FALSE");
  });

  test("second start: the same certificate is reused", async () => {
    const first = await resolveTls(settings(), options());
    const second = await resolveTls(settings(), options());
    expect(second?.cert).toBe(first?.cert ?? "");
    expect(second?.key).toBe(first?.key ?? "");
    expect(second?.ca?.created).toBe(false);
  });

  test("names changed (new DHCP address): a new server certificate from the same CA", async () => {
    const before = await resolveTls(settings(), options());
    const after = await resolveTls(settings(), options([iface("192.168.1.99", "IPv4")]));
    expect(after?.cert).not.toBe(before?.cert ?? "");
    expect(after?.names).toContain("192.168.1.99");
    expect(after?.names).not.toContain("192.168.1.23");
    expect(after?.ca?.cert).toBe(before?.ca?.cert ?? "");
    expect(after?.ca?.created).toBe(false);
  });

  test("a real TLS client that trusts the CA accepts the server for localhost and 127.0.0.1", async () => {
    const material = await resolveTls(settings(), options());
    if (!material?.ca) throw new Error("expected a generated certificate");
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: material.cert, key: material.key },
      fetch: () => new Response("ok"),
    });
    try {
      for (const servername of ["localhost", undefined]) {
        const authorized = await new Promise<boolean>((resolve, reject) => {
          const socket = tls.connect(
            { host: "127.0.0.1", port: server.port, ca: material.ca?.cert, servername },
            () => {
              resolve(socket.authorized);
              socket.end();
            },
          );
          socket.on("error", reject);
        });
        expect(authorized).toBe(true);
      }
    } finally {
      await server.stop(true);
    }
  });

  test("the CA is name-constrained: it cannot vouch for another site", async () => {
    const tlsDir = join(settings().dataDir, "tls");
    const ext = join(dir, "rogue.cnf");
    await writeFile(ext, "[v3]\nsubjectAltName = DNS:bank.example.com\nextendedKeyUsage = serverAuth\n");
    const csr = join(dir, "rogue.csr");
    const key = join(dir, "rogue.key");
    const cert = join(dir, "rogue.pem");
    const subj = ["-subj", "/CN=rogue"];
    expect(
      (await openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, ...subj])).code,
    ).toBe(0);
    const sign = await openssl([
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      join(tlsDir, "ca-cert.pem"),
      "-CAkey",
      join(tlsDir, "ca-key.pem"),
      "-set_serial",
      "7",
      "-days",
      "30",
      "-extfile",
      ext,
      "-extensions",
      "v3",
      "-out",
      cert,
    ]);
    expect(sign.code).toBe(0);
    const verify = await openssl(["verify", "-CAfile", join(tlsDir, "ca-cert.pem"), cert]);
    expect(verify.code).not.toBe(0);
    expect(verify.out).toContain("permitted subtree violation");
    const ours = await openssl(["verify", "-CAfile", join(tlsDir, "ca-cert.pem"), join(tlsDir, "cert.pem")]);
    expect(ours.out).toContain(": OK");
  });

  test("a host name outside the CA's constraints → a new CA covering it", async () => {
    const dataDir = join(dir, "public");
    const first = await resolveTls({ host: "0.0.0.0", dataDir }, options());
    const moved = await resolveTls({ host: "pocket.example.com", dataDir }, options());
    expect(moved?.ca?.created).toBe(true);
    expect(moved?.ca?.cert).not.toBe(first?.ca?.cert ?? "");
    expect(moved?.names).toContain("pocket.example.com");
    const verify = await openssl([
      "verify",
      "-CAfile",
      join(dataDir, "tls", "ca-cert.pem"),
      join(dataDir, "tls", "cert.pem"),
    ]);
    expect(verify.out).toContain(": OK");
  });

  test("no openssl → a clear error naming the alternatives", async () => {
    await expect(resolveTls({ host: "0.0.0.0", dataDir: join(dir, "none") }, { openssl: null })).rejects.toThrow(
      /openssl.*POCKET_TLS_CERT/s,
    );
  });
});

describe.skipIf(!OPENSSL)("resolveTls: given certificate paths", () => {
  test("POCKET_TLS_CERT / POCKET_TLS_KEY are used as given (not self-signed), names from the SAN", async () => {
    const source = await resolveTls(
      { host: "0.0.0.0", dataDir: join(dir, "source") },
      { hostname: "given", networkInterfaces: lan([]) },
    );
    if (!source) throw new Error("expected a certificate");
    const certFile = join(dir, "given-cert.pem");
    const keyFile = join(dir, "given-key.pem");
    await writeFile(certFile, source.cert);
    await writeFile(keyFile, source.key, { mode: 0o600 });
    const material = await resolveTls({
      host: "127.0.0.1",
      dataDir: join(dir, "unused"),
      tls: { cert: certFile, key: keyFile },
    });
    expect(material?.selfSigned).toBe(false);
    expect(material?.cert).toBe(source.cert);
    expect(material?.key).toBe(source.key);
    expect(material?.names).toEqual(source.names);
    expect(material?.ca).toBeUndefined();
  });

  test("half a pair, an unreadable file, a non-certificate or a key of another certificate → error", async () => {
    const certFile = join(dir, "given-cert.pem");
    const keyFile = join(dir, "given-key.pem");
    await expect(resolveTls({ host: "0.0.0.0", dataDir: dir, tls: { cert: certFile } })).rejects.toThrow(/both/);
    await expect(
      resolveTls({ host: "0.0.0.0", dataDir: dir, tls: { cert: join(dir, "missing.pem"), key: keyFile } }),
    ).rejects.toThrow(/POCKET_TLS_CERT: cannot read/);
    await expect(resolveTls({ host: "0.0.0.0", dataDir: dir, tls: { cert: keyFile, key: keyFile } })).rejects.toThrow(
      /not a PEM certificate/,
    );
    const otherKey = join(dir, "other-key.pem");
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    await writeFile(otherKey, privateKey.export({ type: "pkcs8", format: "pem" }));
    await chmod(otherKey, 0o600);
    await expect(resolveTls({ host: "0.0.0.0", dataDir: dir, tls: { cert: certFile, key: otherKey } })).rejects.toThrow(
      /does not belong/,
    );
    expect(await readFile(certFile, "utf8")).toContain("BEGIN CERTIFICATE");
  });
});

describe("name constraints and IP helpers", () => {
  test("local DNS suffixes are covered by default; other host names are added exactly; IPs are not constrained", () => {
    const p = permittedFor(["localhost", "127.0.0.1", "::1", "192.168.1.2", "mybox", "mybox.local", "box.example.com"]);
    expect(p.dns).toEqual(["localhost", "local", "lan", "home.arpa", "internal", "mybox", "box.example.com"]);
    expect(covered("printer.lan", p)).toBe(true);
    expect(covered("api.box.example.com", p)).toBe(true);
    expect(covered("bank.example.com", p)).toBe(false);
    expect(covered("notlocal", p)).toBe(false);
    expect(covered("203.0.113.8", p)).toBe(true);
  });

  test("canonical IPv6 text (RFC 5952) and IPv4-in-IPv6", () => {
    expect(canonicalIp("0:0:0:0:0:0:0:1")).toBe("::1");
    expect(canonicalIp("2001:DB8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIp("[fe80::1%eth0]")).toBe("fe80::1");
    expect(ipBytes("::ffff:10.1.2.3")?.slice(12)).toEqual([10, 1, 2, 3]);
    expect(formatIp([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toBe("::");
    expect(canonicalIp("box.lan")).toBeNull();
  });
});
