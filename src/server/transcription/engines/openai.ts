import { z } from "zod";
import type { TranscriptionConfig } from "../config.ts";
import { type SttEngine, SttEngineError, type SttTranscribeOptions } from "./engine.ts";

const TranscriptionAnswer = z.object({ text: z.string() });

/** `https://host`, `https://host/v1/` or the full URL → `https://host/v1/audio/transcriptions`. */
export function transcriptionsEndpoint(base: string): string {
  const url = new URL(base);
  let path = url.pathname.replace(/\/+$/, "");
  if (!path.endsWith("/audio/transcriptions")) {
    if (!/\/v1$/.test(path)) path += "/v1";
    path += "/audio/transcriptions";
  }
  url.pathname = path;
  url.search = "";
  url.hash = "";
  return url.toString();
}

/**
 * Any OpenAI-compatible transcription API (OpenAI, Groq, whisper.cpp server,
 * speaches, LocalAI): `POST {base}/v1/audio/transcriptions`, multipart.
 */
export function createOpenAiEngine(config: TranscriptionConfig): SttEngine {
  const { url, key, model } = config.openai;

  return {
    name: "openai",
    setupHint:
      "set POCKET_STT=openai and POCKET_STT_URL=<base URL of an OpenAI-compatible API, e.g. https://api.openai.com or a local whisper.cpp server> (plus POCKET_STT_KEY if it needs one, POCKET_STT_MODEL, default whisper-1)",
    async available() {
      return url !== undefined;
    },
    async transcribe(wavPath: string, options: SttTranscribeOptions) {
      if (!url) throw new SttEngineError("POCKET_STT_URL is not set");
      const endpoint = transcriptionsEndpoint(url);
      const form = new FormData();
      form.append("file", Bun.file(wavPath, { type: "audio/wav" }), "audio.wav");
      form.append("model", model);
      const language = options.language ?? config.language;
      if (language && language !== "auto") form.append("language", language);
      if (options.prompt) form.append("prompt", options.prompt);
      form.append("response_format", "json");
      const headers: Record<string, string> = { accept: "application/json" };
      if (key) headers.authorization = `Bearer ${key}`;

      let response: Response;
      try {
        response = await fetch(endpoint, { method: "POST", body: form, headers, signal: options.signal });
      } catch (error) {
        if (options.signal.aborted) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new SttEngineError(`could not reach the speech service at ${new URL(endpoint).origin}: ${reason}`);
      }
      const body = await response.text();
      if (!response.ok) {
        throw new SttEngineError(`the speech service answered ${response.status}: ${upstreamMessage(body)}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        throw new SttEngineError("the speech service did not answer with JSON");
      }
      const parsed = TranscriptionAnswer.safeParse(json);
      if (!parsed.success) throw new SttEngineError("the speech service's answer has no text");
      return parsed.data.text.trim();
    },
  };
}

/** `{ error: { message } }` (OpenAI), `{ error: "…" }`, `{ detail: "…" }` (FastAPI) or the raw text. */
function upstreamMessage(body: string): string {
  let message = body.trim();
  try {
    const json: unknown = JSON.parse(body);
    const parsed = z
      .union([
        z.object({ error: z.object({ message: z.string() }) }).transform((v) => v.error.message),
        z.object({ error: z.string() }).transform((v) => v.error),
        z.object({ detail: z.string() }).transform((v) => v.detail),
        z.object({ message: z.string() }).transform((v) => v.message),
      ])
      .safeParse(json);
    if (parsed.success) message = parsed.data;
  } catch {
    // not JSON: keep the text
  }
  if (!message) return "(empty answer)";
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
