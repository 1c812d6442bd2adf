import type { SttMode } from "../../../shared/transcription.ts";
import type { TranscriptionConfig } from "../config.ts";
import type { SttEngine } from "./engine.ts";
import { createOpenAiEngine } from "./openai.ts";
import { createPocketsphinxEngine } from "./pocketsphinx.ts";
import { createWhisperEngine } from "./whisper.ts";

export { type SttEngine, SttEngineError, type SttTranscribeOptions } from "./engine.ts";
export { transcriptionsEndpoint } from "./openai.ts";

/** Every engine, in the order `auto` tries them. */
/** `warm: false`: engines start a process per recording (tests, the benchmark's baseline). */
export function createEngines(config: TranscriptionConfig, options: { warm?: boolean } = {}): SttEngine[] {
  return [createWhisperEngine(config), createOpenAiEngine(config), createPocketsphinxEngine(config, options)];
}

/** `auto`: the first available engine; a named mode: that engine if available. Null when none is. */
export async function selectEngine(mode: SttMode, engines: readonly SttEngine[]): Promise<SttEngine | null> {
  for (const engine of engines) {
    if (mode !== "auto" && engine.name !== mode) continue;
    if (await engine.available()) return engine;
  }
  return null;
}

/** The NO_ENGINE message: what is missing and every way to set an engine up. */
export function noEngineMessage(mode: SttMode, engines: readonly SttEngine[]): string {
  const candidates = mode === "auto" ? engines : engines.filter((e) => e.name === mode);
  const ways = (candidates.length ? candidates : engines).map((e) => `${e.name}: ${e.setupHint}`).join("; or ");
  const lead =
    mode === "auto"
      ? "No speech-to-text engine is set up on the server."
      : `POCKET_STT=${mode}, but that engine is not set up on the server.`;
  return `${lead} To set one up, ${ways}. Then restart the server or try again.`;
}
