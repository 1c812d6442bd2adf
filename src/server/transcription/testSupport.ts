/** Helpers shared by the transcription tests (not used by the server). */
import { chmod, mkdir, readdir } from "node:fs/promises";
import { parseTranscriptionConfig, type TranscriptionConfig } from "./config.ts";

export const TRANSCRIBE_URL = "http://pocket.test/api/transcribe";

/** A config from `env`, with its temp folder set to `tempDir` (created) and optional overrides. */
export async function testConfig(
  tempDir: string,
  env: Record<string, string | undefined> = {},
  patch: (config: TranscriptionConfig) => void = () => {},
): Promise<TranscriptionConfig> {
  await mkdir(tempDir, { recursive: true });
  const config = parseTranscriptionConfig(env);
  config.tempDir = tempDir;
  patch(config);
  return config;
}

/** A multipart request as the PWA sends it: `audio` plus optional string fields. */
export function uploadRequest(
  audio: Blob | string | null,
  options: { filename?: string; fields?: Record<string, string>; signal?: AbortSignal } = {},
): Request {
  const form = new FormData();
  if (audio instanceof Blob) form.append("audio", audio, options.filename ?? "recording.webm");
  else if (typeof audio === "string") form.append("audio", audio);
  for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value);
  return new Request(TRANSCRIBE_URL, { method: "POST", body: form, signal: options.signal });
}

/** A file as the browser would upload it, with the name and type the client claims. */
export async function fileBlob(path: string, type = ""): Promise<Blob> {
  return new Blob([await Bun.file(path).arrayBuffer()], { type });
}

export async function listDir(dir: string): Promise<string[]> {
  return readdir(dir);
}

/** Writes an executable shell script. */
export async function writeScript(path: string, body: string): Promise<string> {
  await Bun.write(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

/** Resolves when `condition` holds, checking on each turn of the event loop; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A promise with its resolve function outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
