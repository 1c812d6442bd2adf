import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakePngBytes, pngBytes } from "../../../tests/fixtures/images.ts";
import type { AttachmentInfo } from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";
import { fetchRemoteImage } from "./remoteImage.ts";

/**
 * A fake machine (a real Bun server over real TLS) serving `/api/attachments/<id>` as a Pocket
 * Agent server does: what the link's credentials and pinned certificate let through.
 */
const TOKEN = "machine-token-0123456789abcdef";
const png = pngBytes(8, 8) as Uint8Array<ArrayBuffer>;
const info: AttachmentInfo = { id: crypto.randomUUID(), name: "a.png", mediaType: "image/png", size: png.byteLength };
let dir: string;
let machine: ReturnType<typeof Bun.serve>;
let cert: { pem: string; other: string };
const seen: { authorization: string | null; path: string }[] = [];
let body: () => Response = () => new Response(png, { headers: { "content-type": "image/png" } });

function selfSigned(name: string): { cert: string; key: string } {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  const made = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
      .concat(["-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", `/CN=${name}`])
      .concat(["-addext", "subjectAltName=IP:127.0.0.1"]),
  );
  if (made.exitCode !== 0) throw new Error(made.stderr.toString());
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pocket-remote-image-"));
  const served = selfSigned("machine");
  cert = { pem: served.cert, other: selfSigned("someone-else").cert };
  machine = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: served.cert, key: served.key },
    fetch(req) {
      const path = new URL(req.url).pathname;
      seen.push({ authorization: req.headers.get("authorization"), path });
      return path === `/api/attachments/${info.id}` ? body() : new Response("{}", { status: 404 });
    },
  });
});
afterAll(() => {
  machine.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const target = (pem: string | null, token = TOKEN) => ({
  url: `https://127.0.0.1:${machine.port}`,
  token,
  pin: { fingerprint: "pinned", pem },
});

describe("fetchRemoteImage", () => {
  test("reads the bytes with the link's token, verified against the pinned certificate", async () => {
    seen.length = 0;
    const image = await fetchRemoteImage(target(cert.pem), info);
    expect(image).toEqual({ name: "a.png", mediaType: "image/png", data: expect.any(Uint8Array) });
    expect(Buffer.from(image?.data ?? []).equals(Buffer.from(png))).toBe(true);
    expect(seen).toEqual([{ authorization: `Bearer ${TOKEN}`, path: `/api/attachments/${info.id}` }]);
  });

  test("another certificate than the pinned one is refused before anything is sent", async () => {
    seen.length = 0;
    const refused = await fetchRemoteImage(target(cert.other), info).catch((error) => error);
    expect(refused).toBeInstanceOf(PocketError);
    expect(refused.code).toBe("MACHINE_OFFLINE");
    expect(seen).toEqual([]);
  });

  test("an image the machine does not have is null", async () => {
    expect(await fetchRemoteImage(target(cert.pem), { ...info, id: crypto.randomUUID() })).toBeNull();
  });

  test("anything but the named image's type is refused: HTML, a fake PNG, a JPEG named PNG, an error", async () => {
    const answers = [
      () => new Response("<script>alert(1)</script>", { headers: { "content-type": "image/png" } }),
      () => new Response(fakePngBytes() as Uint8Array<ArrayBuffer>, { headers: { "content-type": "image/png" } }),
      () =>
        new Response(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]), {
          headers: { "content-type": "image/png" },
        }),
      () => new Response("nope", { status: 401 }),
    ];
    try {
      for (const answer of answers) {
        body = answer;
        const refused = await fetchRemoteImage(target(cert.pem), info).catch((error) => error);
        expect(refused).toBeInstanceOf(PocketError);
        expect(refused.code).toBe("MACHINE_OFFLINE");
      }
    } finally {
      body = () => new Response(png, { headers: { "content-type": "image/png" } });
    }
  });

  test("a machine that cannot be reached is MACHINE_OFFLINE", async () => {
    const refused = await fetchRemoteImage({ url: "http://127.0.0.1:9", token: TOKEN, pin: null }, info).catch(
      (error) => error,
    );
    expect(refused).toBeInstanceOf(PocketError);
    expect(refused.code).toBe("MACHINE_OFFLINE");
  });
});
