import { describe, expect, test } from "bun:test";
import {
  fileNameFor,
  formatElapsed,
  joinDictation,
  parseTranscribeAnswer,
  parseVoiceStatus,
  pickMimeType,
  type VoiceError,
} from "./voice.ts";
import { describeVoiceError } from "./voiceMessages.ts";

describe("pickMimeType", () => {
  test("Opus in WebM first, MP4 for iOS Safari, else the default", () => {
    expect(pickMimeType(() => true)).toBe("audio/webm;codecs=opus");
    expect(pickMimeType((t) => t === "audio/mp4")).toBe("audio/mp4");
    expect(pickMimeType(() => false)).toBeUndefined();
    expect(
      pickMimeType(() => {
        throw new Error("unknown");
      }),
    ).toBeUndefined();
  });

  test("file names follow the container", () => {
    expect(fileNameFor("audio/webm;codecs=opus")).toBe("dictation.webm");
    expect(fileNameFor("audio/mp4")).toBe("dictation.m4a");
    expect(fileNameFor("audio/ogg;codecs=opus")).toBe("dictation.ogg");
    expect(fileNameFor("")).toBe("dictation.bin");
  });
});

describe("joinDictation", () => {
  test("a space before it when needed, the caret after it", () => {
    expect(joinDictation("Please", 6, 6, "run the tests")).toEqual({ value: "Please run the tests", caret: 20 });
    expect(joinDictation("Please ", 7, 7, "run the tests")).toEqual({ value: "Please run the tests", caret: 20 });
    expect(joinDictation("", 0, 0, " run the tests ")).toEqual({ value: "run the tests", caret: 13 });
  });

  test("in the middle: replaces the selection, a space after before a word", () => {
    expect(joinDictation("Please now", 7, 7, "run the tests")).toEqual({
      value: "Please run the tests now",
      caret: 20,
    });
    expect(joinDictation("Do X.", 3, 4, "the build")).toEqual({ value: "Do the build.", caret: 12 });
    expect(joinDictation("line one\n", 9, 9, "next")).toEqual({ value: "line one\nnext", caret: 13 });
  });

  test("nothing heard changes nothing; positions are clamped", () => {
    expect(joinDictation("abc", 3, 3, "  ")).toEqual({ value: "abc", caret: 3 });
    expect(joinDictation("abc", 10, 20, "d")).toEqual({ value: "abc d", caret: 5 });
  });
});

describe("messages", () => {
  const server = (status: number, code: string | null, message = ""): VoiceError => ({
    kind: "server",
    status,
    code,
    message,
    retryAfterSec: null,
  });

  test.each([
    [
      { kind: "mic", name: "NotAllowedError" },
      "Microphone access is blocked. Allow it in the browser's site settings.",
    ],
    [{ kind: "mic", name: "NotFoundError" }, "No microphone found. Connect one and try again."],
    [{ kind: "too-short" }, "That was too short. Tap the mic, speak, then tap stop."],
    [{ kind: "empty-transcript" }, "Didn't catch that. Try again, a little closer to the microphone."],
    [
      server(422, "AUDIO_SILENT", "Nothing was heard"),
      "No speech heard. Check that the microphone isn't muted, then try again.",
    ],
    [
      server(413, "AUDIO_TOO_LARGE", "The recording is larger than the limit of 25 MB."),
      "The recording is larger than the limit of 25 MB.",
    ],
    [server(503, "NO_ENGINE", "Install pocketsphinx."), "Install pocketsphinx."],
    [server(503, "BUSY"), "The server is busy transcribing. Try again in 2 s."],
    [server(502, "ENGINE_FAILED", "whisper crashed"), "Transcription failed: whisper crashed"],
    [server(504, "ENGINE_TIMEOUT"), "Transcription took too long. Try a shorter recording."],
    [server(400, "INVALID_REQUEST", "The form has no `audio` file."), "The form has no `audio` file."],
    [server(401, "UNAUTHORIZED"), "This device is not paired with the server."],
    [server(429, "RATE_LIMITED"), "Too many attempts, try again in 60 s."],
    [server(500, null), "Transcription failed (HTTP 500)."],
  ] as Array<[VoiceError, string]>)("%o", (error, text) => {
    expect(describeVoiceError(error)).toBe(text);
  });

  test("the duration limit is named when known", () => {
    expect(describeVoiceError(server(413, "AUDIO_TOO_LONG"), { maxDurationSec: 600 })).toBe(
      "The recording is too long (limit 10 min).",
    );
  });

  test("formatElapsed", () => {
    expect(formatElapsed(0)).toBe("00:00");
    expect(formatElapsed(3_999)).toBe("00:03");
    expect(formatElapsed(75_000)).toBe("01:15");
    expect(formatElapsed(3_725_000)).toBe("1:02:05");
  });
});

describe("parsing answers", () => {
  test("status", () => {
    const body = {
      mode: "auto",
      engine: null,
      checked: true,
      running: 0,
      queued: 0,
      maxConcurrent: 1,
      maxQueue: 2,
      maxBytes: 26214400,
      maxDurationSec: 600,
      setupHint: "Install one.",
    };
    expect(parseVoiceStatus(body)).toEqual({
      mode: "auto",
      engine: null,
      checked: true,
      setupHint: "Install one.",
      maxBytes: 26214400,
      maxDurationSec: 600,
    });
    expect(parseVoiceStatus({ engine: "vosk", maxBytes: 1, maxDurationSec: 1 })).toBeNull();
    expect(parseVoiceStatus("nope")).toBeNull();
  });

  test("transcription: success, an error body with Retry-After, a non-JSON error", () => {
    expect(
      parseTranscribeAnswer(
        200,
        JSON.stringify({ text: "hi", engine: "pocketsphinx", engineMs: 1, totalMs: 3, overheadMs: 2, audioMs: 900 }),
        null,
      ),
    ).toEqual({
      ok: true,
      result: { text: "hi", engine: "pocketsphinx", engineMs: 1, totalMs: 3, overheadMs: 2, audioMs: 900 },
    });
    expect(parseTranscribeAnswer(503, JSON.stringify({ error: "Busy.", code: "BUSY" }), "2")).toEqual({
      ok: false,
      status: 503,
      code: "BUSY",
      message: "Busy.",
      retryAfterSec: 2,
    });
    expect(parseTranscribeAnswer(502, "<html>Bad gateway</html>", null)).toEqual({
      ok: false,
      status: 502,
      code: null,
      message: "",
      retryAfterSec: null,
    });
  });
});
