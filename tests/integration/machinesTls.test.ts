import { afterAll, beforeAll, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../../src/server/config.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import { type RunningServer, startServer } from "../../src/server/main.ts";
import { createFakeRunner } from "../fixtures/fakeAgentRunner.ts";
import { pngBytes } from "../fixtures/images.ts";
import { ask, FAST_LINK, freePort, tempDir } from "../fixtures/machines.ts";
import { startTestServer, TEST_TOKEN, TestClient, type TestServer } from "../fixtures/testServer.ts";

/**
 * An https remote with a self-signed certificate made by openssl: pinned on first add (trust on
 * first use, the fingerprint shown), every later connection verified against it; a new
 * certificate on the same address is refused (MACHINE_CERT_CHANGED) until the user confirms it.
 */
let home: TestServer;
let dir: { path: string; remove(): void };

beforeAll(async () => {
  setLogLevel("error");
  dir = tempDir("pocket-tls-");
  home = await startTestServer({ machines: FAST_LINK });
});
afterAll(async () => {
  await home.cleanup();
  dir.remove();
  setLogLevel("info");
});

function selfSigned(name: string): { cert: string; key: string; fingerprint: string } {
  const cert = join(dir.path, `${name}-cert.pem`);
  const key = join(dir.path, `${name}-key.pem`);
  const made = Bun.spawnSync([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  if (made.exitCode !== 0) throw new Error(made.stderr.toString());
  return { cert, key, fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

async function startHttpsRemote(port: number, tls: { cert: string; key: string }, dataDir: string) {
  const config = {
    ...parseConfig({
      PORT: String(port),
      HOST: "127.0.0.1",
      POCKET_DATA_DIR: dataDir,
      POCKET_WORKDIR: dir.path,
      POCKET_TOKEN: TEST_TOKEN,
      POCKET_TLS_CERT: tls.cert,
      POCKET_TLS_KEY: tls.key,
    }),
    // HTTPS on loopback, as on a LAN address.
    lan: true,
  };
  return startServer({ config, runner: createFakeRunner() });
}

test("a self-signed remote is pinned on first add; a changed certificate is refused until confirmed", async () => {
  const first = selfSigned("first");
  const port = freePort();
  const data = join(dir.path, "remote-data");
  let remote: RunningServer = await startHttpsRemote(port, first, data);
  const url = `https://127.0.0.1:${port}`;
  const client = await TestClient.connect(home.url);
  const added = await ask(client, "machine:add", { name: "tls box", url, token: TEST_TOKEN }, "machine:added");
  if (added.type !== "machine:added") throw new Error(JSON.stringify(added.payload));
  const machine = added.payload.machine;
  expect(machine).toMatchObject({ status: "online", fingerprint: first.fingerprint });
  const session = await client.createSession({ machineId: machine.id });
  expect(session.machineId).toBe(machine.id);
  // An image of its session is read from it over the pinned TLS (decision 063).
  const png = pngBytes(16, 16);
  const withImage = crypto.randomUUID();
  client.socket.emit("chat:send", {
    message: "an image over TLS",
    sessionId: session.id,
    requestId: withImage,
    attachments: [{ name: "tls.png", mediaType: "image/png", data: png }],
  });
  const queued = await client.next("chat:queued", (p) => p.requestId === withImage);
  await client.next("chat:response", (p) => p.requestId === withImage);
  const imageUrl = `${home.url}/api/attachments/${queued.attachments?.[0]?.id}`;
  const image = await fetch(imageUrl, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  expect(image.status).toBe(200);
  expect(Buffer.from(await image.arrayBuffer()).equals(Buffer.from(png))).toBe(true);

  // The same address, a new certificate: the link refuses it and says which one it saw.
  await remote.stop();
  const second = selfSigned("second");
  const wentAway = client.received.length;
  remote = await startHttpsRemote(port, second, data);
  const changed = await client.next(
    "machine:updated",
    (p) => p.machine.id === machine.id && p.machine.problem === "MACHINE_CERT_CHANGED",
    { from: wentAway, timeoutMs: 15_000 },
  );
  expect(changed.machine).toMatchObject({
    status: "offline",
    fingerprint: first.fingerprint,
    presentedFingerprint: second.fingerprint,
  });
  const refused = client.send(session.id, "hello");
  expect(await client.next("chat:error", (p) => p.requestId === refused)).toMatchObject({ code: "MACHINE_OFFLINE" });
  // While its certificate is refused, its images are not read from it either.
  const notRead = await fetch(imageUrl, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  expect(notRead.status).toBe(503);

  // Confirming another fingerprint than the one presented changes nothing.
  const wrong = await ask(
    client,
    "machine:trust",
    { machineId: machine.id, fingerprint: first.fingerprint },
    "machine:updated",
  );
  expect(wrong).toMatchObject({ type: "error", payload: { code: "MACHINE_CERT_CHANGED" } });
  // The user confirms the one shown: pinned, connected again.
  const trusted = client.received.length;
  await ask(client, "machine:trust", { machineId: machine.id, fingerprint: second.fingerprint }, "machine:updated");
  const online = await client.next(
    "machine:updated",
    (p) => p.machine.id === machine.id && p.machine.status === "online",
    {
      from: trusted,
      timeoutMs: 15_000,
    },
  );
  expect(online.machine.fingerprint).toBe(second.fingerprint);
  expect(online.machine.problem).toBeUndefined();
  client.close();
  await remote.stop();
});
