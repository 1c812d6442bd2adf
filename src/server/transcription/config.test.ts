import { describe, expect, test } from "bun:test";
import { parseTranscriptionConfig, TranscriptionConfigError } from "./config.ts";

describe("parseTranscriptionConfig", () => {
  test("defaults", () => {
    const config = parseTranscriptionConfig({});
    expect(config.mode).toBe("auto");
    expect(config.language).toBeUndefined();
    expect(config.openai).toEqual({ url: undefined, key: undefined, model: "whisper-1" });
    expect(config.limits).toEqual({
      maxBytes: 25 * 1024 * 1024,
      maxDurationSec: 600,
      engineTimeoutMs: 60_000,
      decodeTimeoutMs: 60_000,
      maxConcurrent: 1,
      maxQueue: 2,
    });
    expect(config.pocketsphinx.bin).toBe("pocketsphinx_continuous");
    expect(config.pocketsphinx.grammar).toBeUndefined();
    expect(config.keepWarm).toBe(true);
  });

  test("reads every variable; blank counts as unset", () => {
    const config = parseTranscriptionConfig({
      POCKET_STT: " OpenAI ",
      POCKET_WHISPER_MODEL: "/models/ggml-base.en.bin",
      POCKET_WHISPER_BIN: "/opt/whisper/whisper-cli",
      POCKET_STT_URL: "http://127.0.0.1:8080/v1",
      POCKET_STT_KEY: "sk-1",
      POCKET_STT_MODEL: "",
      POCKET_STT_LANGUAGE: "DE",
      POCKET_STT_GRAMMAR: "/etc/pocket/commands.jsgf",
      POCKET_STT_MAX_BYTES: "1000",
      POCKET_STT_MAX_SECONDS: "1.5",
      POCKET_STT_TIMEOUT_MS: "500",
      POCKET_STT_CONCURRENCY: "2",
      POCKET_STT_QUEUE: "0",
      POCKET_STT_KEEP_WARM: " Off ",
    });
    expect(config.mode).toBe("openai");
    expect(config.whisper).toEqual({ model: "/models/ggml-base.en.bin", bin: "/opt/whisper/whisper-cli" });
    expect(config.openai).toEqual({ url: "http://127.0.0.1:8080/v1", key: "sk-1", model: "whisper-1" });
    expect(config.language).toBe("de");
    expect(config.pocketsphinx.grammar).toBe("/etc/pocket/commands.jsgf");
    expect(config.limits).toMatchObject({
      maxBytes: 1000,
      maxDurationSec: 1.5,
      engineTimeoutMs: 500,
      maxConcurrent: 2,
      maxQueue: 0,
    });
    expect(config.keepWarm).toBe(false);
  });

  test("a bad value names its variable", () => {
    const bad = (env: Record<string, string>) => () => parseTranscriptionConfig(env);
    expect(bad({ POCKET_STT: "vosk" })).toThrow(TranscriptionConfigError);
    expect(bad({ POCKET_STT: "vosk" })).toThrow("POCKET_STT");
    expect(bad({ POCKET_STT_URL: "ftp://host" })).toThrow("POCKET_STT_URL");
    expect(bad({ POCKET_STT_URL: "not a url" })).toThrow("POCKET_STT_URL");
    expect(bad({ POCKET_STT_CONCURRENCY: "0" })).toThrow("POCKET_STT_CONCURRENCY");
    expect(bad({ POCKET_STT_MAX_BYTES: "lots" })).toThrow("POCKET_STT_MAX_BYTES");
    expect(bad({ POCKET_STT_LANGUAGE: "english" })).toThrow("POCKET_STT_LANGUAGE");
    expect(bad({ POCKET_STT_KEEP_WARM: "sometimes" })).toThrow("POCKET_STT_KEEP_WARM");
  });
});
