/**
 * The engines on their own and through `handle()`: openai against a loopback
 * fake API, whisper against a stub `whisper-cli`, pocketsphinx on the
 * normalised WAV, and the `auto` selection order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeSpeechClip, requireTools, writeGrammar } from "../../../../tests/fixtures/audio/makeClips.ts";
import { isAlive } from "../../../../tests/fixtures/processes.ts";
import { TranscribeErrorResponse, TranscribeResponse } from "../../../shared/transcription.ts";
import { setLogSink } from "../../logger.ts";
import { normaliseAudio } from "../audio.ts";
import { parseTranscriptionConfig } from "../config.ts";
import { fileBlob, listDir, testConfig, uploadRequest, waitFor, writeScript } from "../testSupport.ts";
import { createTranscribeHandler, type TranscribeHandler } from "../transcribeHandler.ts";
import { createEngines, SttEngineError, selectEngine, transcriptionsEndpoint } from "./index.ts";
import { createOpenAiEngine } from "./openai.ts";
import { createPocketsphinxEngine } from "./pocketsphinx.ts";
import { createWhisperEngine } from "./whisper.ts";

let root: string;
let tempDir: string;
/** "run the tests", Opus in WebM. */
let clip: string;
/** The same clip normalised to 16 kHz mono WAV. */
let wav: string;
const logs: string[] = [];
let restoreLogSink: () => void = () => {};

beforeAll(async () => {
  restoreLogSink = setLogSink((line) => logs.push(line));
  requireTools(["ffmpeg", "espeak-ng"]);
  root = await mkdtemp(join(tmpdir(), "pocket-stt-engines-"));
  tempDir = join(root, "tmp");
  clip = await makeSpeechClip(root, "clip", ["run the tests"], "webm");
  wav = join(root, "clip.16k.wav");
  await normaliseAudio("ffmpeg", clip, wav, { signal: new AbortController().signal, capSeconds: 60 });
}, 60_000);

/** Handlers made by a test, closed after it (each keeps a warm ffmpeg). */
const handlers: TranscribeHandler[] = [];

function newHandler(...args: Parameters<typeof createTranscribeHandler>): TranscribeHandler {
  const handler = createTranscribeHandler(...args);
  handlers.push(handler);
  return handler;
}

afterEach(async () => {
  await Promise.all(handlers.splice(0).map((handler) => handler.close()));
  expect(await listDir(tempDir).catch(() => [])).toEqual([]);
});

afterAll(async () => {
  restoreLogSink();
  if (root) await rm(root, { recursive: true, force: true });
});

const noSignal = () => new AbortController().signal;

describe("openai", () => {
  test("endpoint from a base with or without /v1", () => {
    expect(transcriptionsEndpoint("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080/v1/audio/transcriptions");
    expect(transcriptionsEndpoint("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080/v1/audio/transcriptions");
    expect(transcriptionsEndpoint("https://api.openai.com/v1")).toBe("https://api.openai.com/v1/audio/transcriptions");
    expect(transcriptionsEndpoint("https://api.groq.com/openai/v1/")).toBe(
      "https://api.groq.com/openai/v1/audio/transcriptions",
    );
    expect(transcriptionsEndpoint("http://h/proxy")).toBe("http://h/proxy/v1/audio/transcriptions");
    expect(transcriptionsEndpoint("http://h/v1/audio/transcriptions")).toBe("http://h/v1/audio/transcriptions");
  });

  /** A fake OpenAI-compatible API that records what it was sent. */
  function fakeApi(answer: (req: Request) => Response | Promise<Response>) {
    const seen: { path: string; auth: string | null; form: FormData; file: File }[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const form = await req.clone().formData();
        const file = form.get("file");
        if (!(file instanceof File)) return Response.json({ error: { message: "no file" } }, { status: 400 });
        seen.push({ path: new URL(req.url).pathname, auth: req.headers.get("authorization"), form, file });
        return answer(req);
      },
    });
    return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
  }

  test("sends the normalised WAV, model, language and key; answers the trimmed text", async () => {
    const api = fakeApi(() => Response.json({ text: "  Run the tests.\n" }));
    try {
      const config = await testConfig(tempDir, {
        POCKET_STT_URL: `${api.url}/v1/`,
        POCKET_STT_KEY: "sk-test-123",
        POCKET_STT_MODEL: "whisper-large-v3",
        POCKET_STT_LANGUAGE: "en",
      });
      const handler = newHandler(config);
      const response = await handler.handle(uploadRequest(await fileBlob(clip, "audio/webm;codecs=opus")));
      expect(response.status).toBe(200);
      const body = TranscribeResponse.parse(await response.json());
      expect(body).toMatchObject({ text: "Run the tests.", engine: "openai" });

      expect(api.seen).toHaveLength(1);
      const [call] = api.seen;
      if (!call) throw new Error("no call");
      expect(call.path).toBe("/v1/audio/transcriptions");
      expect(call.auth).toBe("Bearer sk-test-123");
      expect(call.file.name).toBe("audio.wav");
      expect(call.form.get("model")).toBe("whisper-large-v3");
      expect(call.form.get("language")).toBe("en");
      expect(call.form.get("response_format")).toBe("json");
      expect(call.form.get("prompt")).toBeNull();
      const bytes = new Uint8Array(await call.file.arrayBuffer());
      const view = new DataView(bytes.buffer);
      expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("RIFF");
      expect(view.getUint16(22, true)).toBe(1); // mono
      expect(view.getUint32(24, true)).toBe(16_000);
      expect(logs.join("\n")).not.toContain("sk-test-123");
    } finally {
      api.stop();
    }
  }, 30_000);

  test("request fields override the configured language and add a prompt; no key, no header", async () => {
    const api = fakeApi(() => Response.json({ text: "hallo" }));
    try {
      const handler = newHandler(
        await testConfig(tempDir, { POCKET_STT: "openai", POCKET_STT_URL: api.url, POCKET_STT_LANGUAGE: "en" }),
      );
      const response = await handler.handle(
        uploadRequest(await fileBlob(clip), { fields: { language: "de", prompt: "Pocket Agent, README" } }),
      );
      expect(response.status).toBe(200);
      const [call] = api.seen;
      expect(call?.auth).toBeNull();
      expect(call?.form.get("model")).toBe("whisper-1");
      expect(call?.form.get("language")).toBe("de");
      expect(call?.form.get("prompt")).toBe("Pocket Agent, README");
    } finally {
      api.stop();
    }
  }, 30_000);

  test("an upstream HTTP error → 502 ENGINE_FAILED with the upstream message", async () => {
    const api = fakeApi(() =>
      Response.json(
        { error: { message: "Incorrect API key provided: sk-wrong.", type: "invalid_request_error" } },
        { status: 401 },
      ),
    );
    try {
      const handler = newHandler(await testConfig(tempDir, { POCKET_STT_URL: api.url, POCKET_STT_KEY: "sk-wrong" }));
      const response = await handler.handle(uploadRequest(await fileBlob(clip)));
      expect(response.status).toBe(502);
      const body = TranscribeErrorResponse.parse(await response.json());
      expect(body.code).toBe("ENGINE_FAILED");
      expect(body.error).toContain("401");
      expect(body.error).toContain("Incorrect API key provided");
    } finally {
      api.stop();
    }
  }, 30_000);

  test("unreachable or malformed upstream → SttEngineError", async () => {
    const api = fakeApi(() => new Response("<html>oops</html>", { headers: { "content-type": "text/html" } }));
    const engine = createOpenAiEngine(parseTranscriptionConfig({ POCKET_STT_URL: api.url }));
    await expect(engine.transcribe(wav, { signal: noSignal() })).rejects.toThrow("did not answer with JSON");
    api.stop();
    // The port is closed now.
    await expect(engine.transcribe(wav, { signal: noSignal() })).rejects.toBeInstanceOf(SttEngineError);
    await expect(engine.transcribe(wav, { signal: noSignal() })).rejects.toThrow("could not reach");
  });
});

describe("whisper", () => {
  async function stubWhisper(script: string) {
    const dir = await mkdtemp(join(root, "whisper-"));
    const model = join(dir, "ggml-tiny.en.bin");
    await writeFile(model, "stub model");
    const argsFile = join(dir, "args");
    const bin = await writeScript(join(dir, "whisper-cli"), script.replaceAll("ARGS_FILE", argsFile));
    return { dir, model, bin, argsFile };
  }

  test("runs whisper-cli with the model, the WAV and the language, and joins its lines", async () => {
    const stub = await stubWhisper(`printf '%s\\n' "$@" > 'ARGS_FILE'
[ "$1" = -m ] && [ "$3" = -f ] || { echo "usage: bad arguments" >&2; exit 2; }
head -c 4 "$4" | grep -q RIFF || { echo "not a wav: $4" >&2; exit 3; }
echo ""
echo " Run the tests."
echo " [BLANK_AUDIO]"
echo "  And commit."`);
    const handler = newHandler(
      await testConfig(tempDir, { POCKET_WHISPER_MODEL: stub.model, POCKET_WHISPER_BIN: stub.bin }),
    );
    const response = await handler.handle(uploadRequest(await fileBlob(clip), { fields: { prompt: "git" } }));
    expect(response.status).toBe(200);
    expect(TranscribeResponse.parse(await response.json())).toMatchObject({
      text: "Run the tests. And commit.",
      engine: "whisper",
    });
    const args = (await Bun.file(stub.argsFile).text()).trimEnd().split("\n");
    expect(args[0]).toBe("-m");
    expect(args[1]).toBe(stub.model);
    expect(args[2]).toBe("-f");
    expect(args[3]).toEndWith("/audio.wav");
    expect(args.slice(4)).toEqual(["-nt", "-np", "-l", "auto", "--prompt", "git"]);
  }, 30_000);

  test("a failing whisper-cli → SttEngineError with its stderr, without the temp path", async () => {
    const stub = await stubWhisper(`echo "error: failed to open '$4' as WAV file" >&2\nexit 1`);
    const engine = createWhisperEngine(
      parseTranscriptionConfig({
        POCKET_WHISPER_MODEL: stub.model,
        POCKET_WHISPER_BIN: stub.bin,
        POCKET_STT_LANGUAGE: "en",
      }),
    );
    const error = await engine.transcribe(wav, { signal: noSignal() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SttEngineError);
    expect(String(error)).toContain("failed to open 'audio.wav'");
  });

  test("an error whisper-cli reports with exit code 0 is still a failure", async () => {
    const stub = await stubWhisper(
      `echo "error: unknown language 'xx'" >&2\necho "usage: whisper-cli [options] file0" >&2\nexit 0`,
    );
    const engine = createWhisperEngine(
      parseTranscriptionConfig({ POCKET_WHISPER_MODEL: stub.model, POCKET_WHISPER_BIN: stub.bin }),
    );
    await expect(engine.transcribe(wav, { signal: noSignal(), language: "xx" })).rejects.toThrow(
      "unknown language 'xx'",
    );
  });

  test("is available only with a model file and an executable", async () => {
    const stub = await stubWhisper("echo hi");
    const available = (env: Record<string, string>) => createWhisperEngine(parseTranscriptionConfig(env)).available();
    expect(await available({ POCKET_WHISPER_MODEL: stub.model, POCKET_WHISPER_BIN: stub.bin })).toBe(true);
    expect(await available({ POCKET_WHISPER_BIN: stub.bin })).toBe(false);
    expect(await available({ POCKET_WHISPER_MODEL: join(stub.dir, "nope.bin"), POCKET_WHISPER_BIN: stub.bin })).toBe(
      false,
    );
    expect(await available({ POCKET_WHISPER_MODEL: stub.model, POCKET_WHISPER_BIN: stub.model })).toBe(false);
  });
});

describe("pocketsphinx", () => {
  test("transcribes the normalised WAV exactly with a grammar", async () => {
    requireTools(["pocketsphinx_continuous"]);
    const grammar = join(root, "g.jsgf");
    await writeGrammar(grammar, ["run the tests", "open the settings file", "show the git status"]);
    const engine = createPocketsphinxEngine(
      parseTranscriptionConfig({ POCKET_STT: "pocketsphinx", POCKET_STT_GRAMMAR: grammar }),
    );
    expect(await engine.available()).toBe(true);
    expect(await engine.transcribe(wav, { signal: noSignal() })).toBe("run the tests");
  }, 30_000);

  test("keeps a recogniser started: same text, a fresh one after each use, none left after close", async () => {
    requireTools(["pocketsphinx_continuous"]);
    const grammar = join(root, "g-warm.jsgf");
    await writeGrammar(grammar, ["run the tests", "open the settings file", "show the git status"]);
    const config = await testConfig(join(root, "warm-tmp"), {
      POCKET_STT: "pocketsphinx",
      POCKET_STT_GRAMMAR: grammar,
    });
    const engine = createPocketsphinxEngine(config);
    try {
      expect(engine.warmPid).toBeNull(); // nothing runs before the engine is chosen
      engine.warmUp?.();
      const first = engine.warmPid ?? 0;
      expect(isAlive(first)).toBe(true);
      // Right away (the model is still loading): the samples wait for the recogniser.
      expect(await engine.transcribe(wav, { signal: noSignal() })).toBe("run the tests");
      expect(isAlive(first)).toBe(false);
      const second = engine.warmPid ?? 0;
      expect(second).not.toBe(first);
      expect(isAlive(second)).toBe(true);
      expect(await engine.transcribe(wav, { signal: noSignal() })).toBe("run the tests");
      expect(engine.warmPid).not.toBe(second);
    } finally {
      await engine.close?.();
    }
    expect(engine.warmPid).toBeNull();
    expect(await listDir(config.tempDir)).toEqual([]);
    await waitFor(() => commandLinesWith(config.tempDir).length === 0, "no process left using the FIFO");
  }, 60_000);

  test("a server that dies leaves no recogniser behind", async () => {
    requireTools(["pocketsphinx_continuous"]);
    const dir = await mkdtemp(join(root, "dying-server-"));
    const server = Bun.spawn([process.execPath, "tests/fixtures/audio/warmPocketsphinx.ts", dir], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const reader = server.stdout.getReader();
    let out = "";
    while (!out.includes("READY")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the child exited: ${out}`);
      out += new TextDecoder().decode(value);
    }
    await waitFor(
      () => commandLinesWith(dir).some((line) => line.startsWith("pocketsphinx_continuous")),
      "the recogniser",
    );
    server.kill("SIGKILL");
    await server.exited;
    await waitFor(() => commandLinesWith(dir).length === 0, "the recogniser to be stopped by its watchdog", 10_000);
  }, 30_000);
});

/** The command lines (arguments joined by spaces) of the processes that mention `text`. */
function commandLinesWith(text: string): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      if (line.includes(text)) lines.push(line);
    } catch {
      // Gone meanwhile.
    }
  }
  return lines;
}

describe("engine selection", () => {
  test("auto takes whisper, then openai, then pocketsphinx", async () => {
    const dir = await mkdtemp(join(root, "select-"));
    const model = join(dir, "m.bin");
    await writeFile(model, "m");
    const bin = await writeScript(join(dir, "whisper-cli"), "echo hi");
    const ps = join(dir, "missing-pocketsphinx");
    const pick = async (env: Record<string, string>, pocketsphinxBin?: string) => {
      const config = parseTranscriptionConfig(env);
      if (pocketsphinxBin) config.pocketsphinx.bin = pocketsphinxBin;
      return (await selectEngine(config.mode, createEngines(config)))?.name ?? null;
    };
    const all = { POCKET_WHISPER_MODEL: model, POCKET_WHISPER_BIN: bin, POCKET_STT_URL: "http://127.0.0.1:9" };
    expect(await pick(all)).toBe("whisper");
    expect(await pick({ POCKET_STT_URL: "http://127.0.0.1:9" })).toBe("openai");
    expect(await pick({ POCKET_WHISPER_MODEL: model, POCKET_WHISPER_BIN: join(dir, "none") }, ps)).toBeNull();
    expect(await pick({ ...all, POCKET_STT: "openai" })).toBe("openai");
    expect(await pick({ ...all, POCKET_STT: "pocketsphinx" }, ps)).toBeNull();
    if (Bun.which("pocketsphinx_continuous")) expect(await pick({})).toBe("pocketsphinx");
  });
});
