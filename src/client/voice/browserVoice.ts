/**
 * The browser side of dictation for the recorder machine: getUserMedia,
 * MediaRecorder, and `GET/POST /api/transcribe` (the upload goes through
 * XMLHttpRequest, whose `upload.onload` tells "uploading" from "transcribing").
 * The pairing cookie rides along (same origin).
 */
import type { RecorderDeps, RecorderLike, StreamLike } from "./recorderMachine.ts";
import {
  fileNameFor,
  parseTranscribeAnswer,
  parseVoiceStatus,
  type TranscribeOutcome,
  type VoiceStatus,
} from "./voice.ts";

export const TRANSCRIBE_PATH = "/api/transcribe";

function canRecord(): boolean {
  return (
    typeof navigator !== "undefined" &&
    typeof navigator.mediaDevices?.getUserMedia === "function" &&
    typeof MediaRecorder !== "undefined"
  );
}

async function fetchStatus(signal: AbortSignal): Promise<VoiceStatus> {
  const res = await fetch(TRANSCRIBE_PATH, {
    credentials: "same-origin",
    headers: { accept: "application/json" },
    cache: "no-store",
    signal,
  });
  if (!res.ok) throw new Error(`voice status: HTTP ${res.status}`);
  const status = parseVoiceStatus(await res.json());
  if (!status) throw new Error("voice status: unexpected answer");
  return status;
}

function transcribe(audio: Blob, options: { signal: AbortSignal; onUploaded: () => void }): Promise<TranscribeOutcome> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    form.append("audio", audio, fileNameFor(audio.type));
    xhr.open("POST", TRANSCRIBE_PATH);
    xhr.withCredentials = true;
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.addEventListener("load", () => options.onUploaded());
    xhr.addEventListener("load", () =>
      resolve(parseTranscribeAnswer(xhr.status, xhr.responseText, xhr.getResponseHeader("retry-after"))),
    );
    xhr.addEventListener("error", () => reject(new TypeError("network error")));
    xhr.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    xhr.addEventListener("timeout", () => reject(new TypeError("timeout")));
    if (options.signal.aborted) {
      reject(new DOMException("aborted", "AbortError"));
      return;
    }
    options.signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

function asMediaStream(stream: StreamLike): MediaStream {
  if (stream instanceof MediaStream) return stream;
  throw new TypeError("not a MediaStream");
}

export const browserVoiceDeps: RecorderDeps = {
  now: () => performance.now(),
  supported: canRecord,
  getStream: () =>
    navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    }),
  isTypeSupported: (type) => typeof MediaRecorder !== "undefined" && MediaRecorder.isTypeSupported(type),
  createRecorder: (stream, mimeType): RecorderLike =>
    new MediaRecorder(asMediaStream(stream), mimeType ? { mimeType, audioBitsPerSecond: 32_000 } : {}),
  fetchStatus,
  transcribe,
};
