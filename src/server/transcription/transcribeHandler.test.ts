/**
 * The whole pipeline through `handle()`: real ffmpeg, real pocketsphinx with a
 * JSGF grammar of the fixture phrases, espeak-ng fixtures generated here.
 * Needs `apt install ffmpeg espeak-ng pocketsphinx pocketsphinx-en-us`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLIP_FORMATS, type Clips, makeClips, requireTools } from "../../../tests/fixtures/audio/makeClips.ts";
import { isAlive } from "../../../tests/fixtures/processes.ts";
import {
  type TranscribeErrorCode,
  TranscribeErrorResponse,
  TranscribeResponse,
  TranscriptionStatus,
} from "../../shared/transcription.ts";
import { setLogLevel, setLogSink } from "../logger.ts";
import type { SttEngine } from "./engines/index.ts";
import {
  deferred,
  fileBlob,
  listDir,
  TRANSCRIBE_URL,
  testConfig,
  uploadRequest,
  waitFor,
  writeScript,
} from "./testSupport.ts";
import { createTranscribeHandler, type TranscribeHandler } from "./transcribeHandler.ts";

let root: string;
let clips: Clips;
/** Every handler in this file uses this as its temp folder; it must be empty after every test. */
let tempDir: string;
/** The service's log lines, kept out of the test output and checked for what must not be logged. */
const logs: string[] = [];
let restoreLogSink: () => void = () => {};
/** Every handler made here; each test's are closed after it (their idle warm ffmpeg killed). */
const handlers: TranscribeHandler[] = [];

function newHandler(...args: Parameters<typeof createTranscribeHandler>): TranscribeHandler {
  const handler = createTranscribeHandler(...args);
  handlers.push(handler);
  return handler;
}

beforeAll(async () => {
  setLogLevel("info"); // the log assertions below need info lines, whatever POCKET_LOG_LEVEL says
  restoreLogSink = setLogSink((line) => logs.push(line));
  requireTools();
  root = await mkdtemp(join(tmpdir(), "pocket-stt-test-"));
  tempDir = join(root, "tmp");
  clips = await makeClips(await mkdtemp(join(root, "clips-")));
}, 60_000);

afterEach(async () => {
  await Promise.all(handlers.splice(0).map((handler) => handler.close()));
  expect(await listDir(tempDir)).toEqual([]);
});

afterAll(async () => {
  restoreLogSink();
  if (root) await rm(root, { recursive: true, force: true });
});

const pocketsphinxEnv = () => ({ POCKET_STT: "pocketsphinx", POCKET_STT_GRAMMAR: clips.grammar });

async function expectError(response: Response, status: number, code: TranscribeErrorCode): Promise<string> {
  const body = TranscribeErrorResponse.parse(await response.json());
  expect({ status: response.status, code: body.code }).toEqual({ status, code });
  expect(body.error.length).toBeGreaterThan(0);
  return body.error;
}

describe("pocketsphinx with a grammar transcribes every format exactly", () => {
  for (const format of CLIP_FORMATS) {
    test(format, async () => {
      const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
      for (const phrase of clips.phrases) {
        const response = await handler.handle(
          uploadRequest(await fileBlob(phrase[format], `audio/${format}`), { filename: `clip.${format}` }),
        );
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toContain("application/json");
        const body = TranscribeResponse.parse(await response.json());
        expect(body.text).toBe(phrase.text);
        expect(body.engine).toBe("pocketsphinx");
        expect(body.engineMs).toBeGreaterThan(0);
        expect(body.totalMs).toBeGreaterThanOrEqual(body.engineMs);
        expect(Math.abs(body.overheadMs - (body.totalMs - body.engineMs))).toBeLessThanOrEqual(0.2);
        expect(body.audioMs).toBeGreaterThan(1_000);
        expect(body.audioMs).toBeLessThan(4_000);
      }
    }, 60_000);
  }

  test("ignores the client's MIME type and file name", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    const phrase = clips.phrases[0];
    if (!phrase) throw new Error("no fixture phrase");
    const response = await handler.handle(
      uploadRequest(await fileBlob(phrase.m4a, "text/plain"), { filename: "notes.txt" }),
    );
    expect(response.status).toBe(200);
    expect(TranscribeResponse.parse(await response.json()).text).toBe(phrase.text);
  }, 30_000);

  test("logs timings but never the transcript", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    const phrase = clips.phrases[2];
    if (!phrase) throw new Error("no fixture phrase");
    logs.length = 0;
    expect((await handler.handle(uploadRequest(await fileBlob(phrase.webm)))).status).toBe(200);
    const line = logs.find((l) => l.includes("[transcription] transcribed"));
    expect(line).toContain('"engine":"pocketsphinx"');
    expect(line).toContain('"engineMs":');
    expect(logs.join("\n")).not.toContain(phrase.text);
  }, 30_000);

  test("status reports the engine and idle slots", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    const phrase = clips.phrases[0];
    if (!phrase) throw new Error("no fixture phrase");
    expect((await handler.handle(uploadRequest(await fileBlob(phrase.webm)))).status).toBe(200);
    expect(TranscriptionStatus.parse(handler.status())).toMatchObject({
      mode: "pocketsphinx",
      engine: "pocketsphinx",
      checked: true,
      running: 0,
      queued: 0,
      maxConcurrent: 1,
    });
    expect(handler.status().setupHint).toBeUndefined();
  }, 30_000);
});

describe("the warm ffmpeg decoder", () => {
  /** One request; its status, transcript and which decoder its log line names. */
  async function transcribeOnce(handler: TranscribeHandler, path: string) {
    logs.length = 0;
    const response = await handler.handle(uploadRequest(await fileBlob(path)));
    const line = logs.find((l) => l.includes("[transcription] transcribed")) ?? "";
    const decoder = /"decoder":"(\w+)"/.exec(line)?.[1];
    const text = response.status === 200 ? TranscribeResponse.parse(await response.json()).text : null;
    return { status: response.status, text, decoder };
  }

  for (const format of ["webm", "mp4"] as const) {
    test(`${format}: the pipe gives the same transcript as the file path`, async () => {
      const warm = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
      const cold = newHandler(await testConfig(tempDir, pocketsphinxEnv()), { warmDecoder: false });
      expect(cold.warmDecoderPid()).toBeNull();
      for (const phrase of clips.phrases) {
        const piped = await transcribeOnce(warm, phrase[format]);
        const filed = await transcribeOnce(cold, phrase[format]);
        expect(piped).toEqual({ status: 200, text: phrase.text, decoder: "pipe" });
        expect(filed).toEqual({ status: 200, text: phrase.text, decoder: "file" });
      }
    }, 60_000);
  }

  test("the engine is warm too; with POCKET_STT_KEEP_WARM=0 nothing is kept started", async () => {
    const warm = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    await warm.check();
    expect(warm.warmDecoderPid()).not.toBeNull();
    expect(warm.warmEnginePid()).not.toBeNull();
    const phrase = clips.phrases[0];
    if (!phrase) throw new Error("no fixture phrase");
    expect(await transcribeOnce(warm, phrase.webm)).toEqual({ status: 200, text: phrase.text, decoder: "pipe" });

    const cold = newHandler(await testConfig(tempDir, { ...pocketsphinxEnv(), POCKET_STT_KEEP_WARM: "0" }));
    await cold.check();
    expect(cold.warmDecoderPid()).toBeNull();
    expect(cold.warmEnginePid()).toBeNull();
    expect(await transcribeOnce(cold, phrase.webm)).toEqual({ status: 200, text: phrase.text, decoder: "file" });
  }, 30_000);

  test("an m4a with its index at the end goes to the file path, leaving the warm process idle", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    await handler.check(); // finds the engine, which starts the warm ffmpeg
    const phrase = clips.phrases[1];
    if (!phrase) throw new Error("no fixture phrase");
    const idle = handler.warmDecoderPid();
    expect(idle).not.toBeNull();
    expect(await transcribeOnce(handler, phrase.m4a)).toEqual({ status: 200, text: phrase.text, decoder: "file" });
    expect(handler.warmDecoderPid()).toBe(idle);
  }, 30_000);

  test("two requests in a row each get a fresh process; close leaves no ffmpeg behind", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    await handler.check(); // finds the engine, which starts the warm ffmpeg
    const [first, second] = clips.phrases;
    if (!first || !second) throw new Error("no fixture phrase");
    const pids = [handler.warmDecoderPid() ?? 0];
    for (const phrase of [first, second]) {
      expect(await transcribeOnce(handler, phrase.webm)).toEqual({ status: 200, text: phrase.text, decoder: "pipe" });
      pids.push(handler.warmDecoderPid() ?? 0);
    }
    expect(new Set(pids).size).toBe(3);
    expect(pids.map(isAlive)).toEqual([false, false, true]);
    await handler.close();
    expect(isAlive(pids[2] ?? 0)).toBe(false);
    expect(handler.warmDecoderPid()).toBeNull();
  }, 30_000);

  test("undecodable input is 422 AUDIO_UNDECODABLE through the pipe, as through the file", async () => {
    const warm = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    const cold = newHandler(await testConfig(tempDir, pocketsphinxEnv()), { warmDecoder: false });
    // A WebM signature followed by text: routed to the pipe, where ffmpeg fails on it.
    const junk = new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3]), "and then nothing but text"]);
    await warm.check();
    const idle = warm.warmDecoderPid();
    const piped = await expectError(await warm.handle(uploadRequest(junk)), 422, "AUDIO_UNDECODABLE");
    expect(warm.warmDecoderPid()).not.toBe(idle); // the warm process was used
    const filed = await expectError(await cold.handle(uploadRequest(junk)), 422, "AUDIO_UNDECODABLE");
    expect(piped).toBe(filed);
    expect(piped).not.toContain("pipe:");
  }, 30_000);

  test("a decode slower than its timeout stops the warm process → 422", async () => {
    const dir = await mkdtemp(join(root, "slow-ffmpeg-"));
    const stub = await writeScript(join(dir, "ffmpeg"), "exec sleep 30");
    const handler = newHandler(
      await testConfig(tempDir, pocketsphinxEnv(), (c) => {
        c.ffmpegBin = stub;
        c.limits.decodeTimeoutMs = 300;
      }),
    );
    await handler.check();
    const pid = handler.warmDecoderPid() ?? 0;
    expect(isAlive(pid)).toBe(true);
    const phrase = clips.phrases[0];
    if (!phrase) throw new Error("no fixture phrase");
    const message = await expectError(
      await handler.handle(uploadRequest(await fileBlob(phrase.webm))),
      422,
      "AUDIO_UNDECODABLE",
    );
    expect(message).toContain("longer than 0.3 s");
    expect(isAlive(pid)).toBe(false);
  }, 30_000);
});

describe("bad uploads", () => {
  test("no `audio` field → 400", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    const form = new FormData();
    form.append("file", new Blob(["abc"]), "a.webm");
    await expectError(
      await handler.handle(new Request(TRANSCRIBE_URL, { method: "POST", body: form })),
      400,
      "INVALID_REQUEST",
    );
    await expectError(await handler.handle(uploadRequest("just text")), 400, "INVALID_REQUEST");
  });

  test("not multipart → 400, not POST → 405", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    const json = new Request(TRANSCRIBE_URL, {
      method: "POST",
      body: JSON.stringify({ audio: "AAAA" }),
      headers: { "content-type": "application/json" },
    });
    await expectError(await handler.handle(json), 400, "INVALID_REQUEST");
    const broken = new Request(TRANSCRIBE_URL, {
      method: "POST",
      body: "not really multipart",
      headers: { "content-type": "multipart/form-data; boundary=xyz" },
    });
    await expectError(await handler.handle(broken), 400, "INVALID_REQUEST");
    const get = await handler.handle(new Request(TRANSCRIBE_URL));
    await expectError(get, 405, "INVALID_REQUEST");
    expect(get.headers.get("allow")).toBe("POST");
  });

  test("an invalid optional field → 400", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    const request = uploadRequest(await fileBlob(clips.silence), { fields: { language: "English please" } });
    await expectError(await handler.handle(request), 400, "INVALID_REQUEST");
  });

  test("an empty file → 400 AUDIO_EMPTY", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    await expectError(await handler.handle(uploadRequest(new Blob([]))), 400, "AUDIO_EMPTY");
  });

  test("a text file → 422 AUDIO_UNDECODABLE", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    const message = await expectError(
      await handler.handle(uploadRequest(await fileBlob(clips.text, "audio/webm"), { filename: "voice.webm" })),
      422,
      "AUDIO_UNDECODABLE",
    );
    expect(message).not.toContain(tempDir);
  });

  test("silence → 422 AUDIO_SILENT, and so does 0 s of audio", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    await expectError(await handler.handle(uploadRequest(await fileBlob(clips.silence))), 422, "AUDIO_SILENT");
    const zero = await handler.handle(uploadRequest(await fileBlob(clips.zeroLength), { filename: "zero.wav" }));
    expect(await expectError(zero, 422, "AUDIO_SILENT")).toContain("0 s");
  });

  test("longer than the duration limit → 413 AUDIO_TOO_LONG", async () => {
    const handler = newHandler(await testConfig(tempDir, { ...pocketsphinxEnv(), POCKET_STT_MAX_SECONDS: "1" }));
    const phrase = clips.phrases[1];
    if (!phrase) throw new Error("no fixture phrase");
    await expectError(await handler.handle(uploadRequest(await fileBlob(phrase.webm))), 413, "AUDIO_TOO_LONG");
  });

  test("a file over the byte limit → 413 AUDIO_TOO_LARGE", async () => {
    const handler = newHandler(await testConfig(tempDir, { ...pocketsphinxEnv(), POCKET_STT_MAX_BYTES: "4000" }));
    const phrase = clips.phrases[0];
    if (!phrase) throw new Error("no fixture phrase");
    const wav = await fileBlob(phrase.wav);
    expect(wav.size).toBeGreaterThan(4_000);
    await expectError(await handler.handle(uploadRequest(wav)), 413, "AUDIO_TOO_LARGE");
  });

  test("a body without Content-Length is cut off once it passes the limit → 413", async () => {
    const handler = newHandler(await testConfig(tempDir, { ...pocketsphinxEnv(), POCKET_STT_MAX_BYTES: "4000" }));
    const chunk = new Uint8Array(16 * 1024);
    const total = 4 * 1024 * 1024;
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const request = new Request(TRANSCRIBE_URL, {
      method: "POST",
      body,
      headers: { "content-type": "multipart/form-data; boundary=----x" },
    });
    await expectError(await handler.handle(request), 413, "AUDIO_TOO_LARGE");
    expect(pulled).toBeLessThan(total / 4);
  });

  test("the default 25 MB limit is enforced from Content-Length before the body is read", async () => {
    const handler = newHandler(await testConfig(tempDir, pocketsphinxEnv()));
    expect(handler.status().maxBytes).toBe(25 * 1024 * 1024);
    let read = false;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          read = true;
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const request = new Request(TRANSCRIBE_URL, {
      method: "POST",
      body,
      headers: {
        "content-type": "multipart/form-data; boundary=----x",
        "content-length": String(26 * 1024 * 1024),
      },
    });
    await expectError(await handler.handle(request), 413, "AUDIO_TOO_LARGE");
    expect(read).toBe(false);
    // Control: the same body without the header is read (and is not a valid form).
    const control = new Request(TRANSCRIBE_URL, {
      method: "POST",
      body: new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            read = true;
            controller.close();
          },
        },
        { highWaterMark: 0 },
      ),
      headers: { "content-type": "multipart/form-data; boundary=----x" },
    });
    await expectError(await handler.handle(control), 400, "INVALID_REQUEST");
    expect(read).toBe(true);
  });
});

describe("server-side failures", () => {
  test("no engine → 503 NO_ENGINE saying how to set one up", async () => {
    const config = await testConfig(tempDir, {}, (c) => {
      c.pocketsphinx.bin = join(root, "missing", "pocketsphinx_continuous");
    });
    const handler = newHandler(config);
    const message = await expectError(
      await handler.handle(uploadRequest(await fileBlob(clips.silence))),
      503,
      "NO_ENGINE",
    );
    for (const hint of [
      "POCKET_STT=openai",
      "POCKET_STT_URL",
      "whisper-cli",
      "POCKET_WHISPER_MODEL",
      "apt install pocketsphinx pocketsphinx-en-us",
    ]) {
      expect(message).toContain(hint);
    }
    expect(handler.status()).toMatchObject({ engine: null, checked: true, setupHint: message });
    // Without an engine there is nothing to decode for: no ffmpeg is kept waiting.
    await handler.check();
    expect(handler.warmDecoderPid()).toBeNull();
  });

  test("a named engine that is not set up → 503 NO_ENGINE naming it", async () => {
    const handler = newHandler(await testConfig(tempDir, { POCKET_STT: "whisper" }));
    const message = await expectError(
      await handler.handle(uploadRequest(await fileBlob(clips.silence))),
      503,
      "NO_ENGINE",
    );
    expect(message).toContain("POCKET_STT=whisper");
    expect(message).toContain("POCKET_WHISPER_MODEL");
  });

  test("ffmpeg missing → 503 DECODER_MISSING", async () => {
    const config = await testConfig(tempDir, pocketsphinxEnv(), (c) => {
      c.ffmpegBin = join(root, "missing", "ffmpeg");
    });
    const handler = newHandler(config);
    await expectError(await handler.handle(uploadRequest(await fileBlob(clips.silence))), 503, "DECODER_MISSING");
  });

  test("a pocketsphinx failure → 502 ENGINE_FAILED with its reason", async () => {
    const grammar = join(root, "readme.jsgf");
    await writeFile(grammar, "#JSGF V1.0;\ngrammar g;\npublic <c> = open the readme file;\n");
    const handler = newHandler(await testConfig(tempDir, { POCKET_STT: "pocketsphinx", POCKET_STT_GRAMMAR: grammar }));
    const phrase = clips.phrases[0];
    if (!phrase) throw new Error("no fixture phrase");
    const message = await expectError(
      await handler.handle(uploadRequest(await fileBlob(phrase.webm))),
      502,
      "ENGINE_FAILED",
    );
    expect(message).toContain("'readme' is missing in the dictionary");
  }, 30_000);

  test("an engine slower than the timeout → 504 ENGINE_TIMEOUT, and its process is stopped", async () => {
    const dir = await mkdtemp(join(root, "slow-"));
    const pidFile = join(dir, "pid");
    const model = join(dir, "model.bin");
    await writeFile(model, "not a real model");
    const stub = await writeScript(join(dir, "whisper-cli"), `echo $$ > '${pidFile}'\nexec sleep 30`);
    const handler = newHandler(
      await testConfig(tempDir, {
        POCKET_STT: "whisper",
        POCKET_WHISPER_BIN: stub,
        POCKET_WHISPER_MODEL: model,
        POCKET_STT_TIMEOUT_MS: "300",
      }),
    );
    const phrase = clips.phrases[0];
    if (!phrase) throw new Error("no fixture phrase");
    const started = performance.now();
    const message = await expectError(
      await handler.handle(uploadRequest(await fileBlob(phrase.webm))),
      504,
      "ENGINE_TIMEOUT",
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(message).toContain("whisper");
    const pid = Number((await Bun.file(pidFile).text()).trim());
    expect(() => process.kill(pid, 0)).toThrow();
    expect(handler.status()).toMatchObject({ running: 0, queued: 0 });
  }, 30_000);
});

describe("concurrency", () => {
  /** An engine whose calls wait until the test lets each one finish. */
  function gatedEngine() {
    const calls: { entered: Promise<void>; release: () => void }[] = [];
    const gates = Array.from({ length: 4 }, () => ({ entered: deferred(), release: deferred() }));
    let active = 0;
    let maxActive = 0;
    const engine: SttEngine = {
      name: "openai",
      setupHint: "",
      available: async () => true,
      async transcribe() {
        const gate = gates[calls.length];
        if (!gate) throw new Error("more calls than gates");
        calls.push({ entered: gate.entered.promise, release: () => gate.release.resolve() });
        active++;
        maxActive = Math.max(maxActive, active);
        gate.entered.resolve();
        await gate.release.promise;
        active--;
        return `call ${calls.length}`;
      },
    };
    return {
      engine,
      entered: (i: number) => gates[i]?.entered.promise,
      release: (i: number) => gates[i]?.release.resolve(),
      maxActive: () => maxActive,
    };
  }

  test("one runs, one waits, the next is refused with 503 BUSY", async () => {
    const gated = gatedEngine();
    const handler = newHandler(await testConfig(tempDir, { POCKET_STT_CONCURRENCY: "1", POCKET_STT_QUEUE: "1" }), {
      engines: [gated.engine],
    });
    const phrase = clips.phrases[0];
    if (!phrase) throw new Error("no fixture phrase");
    const audio = await fileBlob(phrase.webm);

    const first = handler.handle(uploadRequest(audio));
    await gated.entered(0);
    const second = handler.handle(uploadRequest(audio));
    await waitFor(() => handler.status().queued === 1, "the second request to queue");
    expect(handler.status()).toMatchObject({ running: 1, queued: 1 });

    const third = await handler.handle(uploadRequest(audio));
    await expectError(third, 503, "BUSY");
    expect(third.headers.get("retry-after")).toBe("2");

    gated.release(0);
    expect((await first).status).toBe(200);
    await gated.entered(1);
    expect(handler.status()).toMatchObject({ running: 1, queued: 0 });
    gated.release(1);
    const secondResponse = await second;
    expect(secondResponse.status).toBe(200);
    expect(TranscribeResponse.parse(await secondResponse.json())).toMatchObject({ text: "call 2", engine: "openai" });
    expect(gated.maxActive()).toBe(1);
    expect(handler.status()).toMatchObject({ running: 0, queued: 0 });
  }, 30_000);

  test("a client that goes away while queued leaves the queue (499 CANCELLED)", async () => {
    const gated = gatedEngine();
    const handler = newHandler(await testConfig(tempDir, { POCKET_STT_CONCURRENCY: "1", POCKET_STT_QUEUE: "1" }), {
      engines: [gated.engine],
    });
    const phrase = clips.phrases[0];
    if (!phrase) throw new Error("no fixture phrase");
    const audio = await fileBlob(phrase.webm);

    const first = handler.handle(uploadRequest(audio));
    await gated.entered(0);
    const abort = new AbortController();
    const second = handler.handle(uploadRequest(audio, { signal: abort.signal }));
    await waitFor(() => handler.status().queued === 1, "the second request to queue");
    abort.abort();
    await expectError(await second, 499, "CANCELLED");
    expect(handler.status()).toMatchObject({ running: 1, queued: 0 });
    gated.release(0);
    expect((await first).status).toBe(200);
    expect(handler.status()).toMatchObject({ running: 0, queued: 0 });
  }, 30_000);
});
