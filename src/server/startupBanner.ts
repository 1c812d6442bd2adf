/**
 * What the server prints when it starts from a terminal: where to open it, whether the agent can
 * answer (before a first message fails with AGENT_NOT_LOGGED_IN), the speech engine, and where
 * its data lives; then the pairing QR code (`./auth/banner.ts`, the only place the token is printed).
 */
import type { TranscriptionStatus } from "../shared/transcription.ts";
import type { ClaudeLogin } from "./agent/claudeCli.ts";
import { printPairingBanner } from "./auth/banner.ts";

export interface StartupFacts {
  version: string;
  url: string;
  pairingUrl: string;
  claude: ClaudeLogin;
  speech: TranscriptionStatus;
  dataDir: string;
  workdirRoots: string[];
  /** How the user runs this program (`pocket-agent`, or the repository's command), for the fixes. */
  command: string;
}

export function describeClaude(claude: ClaudeLogin, command: string): { ok: boolean; text: string } {
  if (claude.state === "logged_in") return { ok: true, text: `logged in (${claude.method})` };
  const fix = `run \`${command} login\`, or set ANTHROPIC_API_KEY`;
  if (claude.state === "logged_out") return { ok: false, text: `not logged in: ${fix}` };
  return { ok: false, text: `unknown (${claude.reason}): ${fix}` };
}

export function describeSpeech(speech: TranscriptionStatus): { ok: boolean; text: string } {
  if (speech.engine) return { ok: true, text: speech.engine };
  return { ok: false, text: `none, voice input is off${speech.setupHint ? `: ${speech.setupHint}` : ""}` };
}

export function startupBanner(facts: StartupFacts): string {
  const claude = describeClaude(facts.claude, facts.command);
  const speech = describeSpeech(facts.speech);
  const mark = (ok: boolean) => (ok ? "✓" : "✗");
  return [
    `Pocket Agent ${facts.version} on ${facts.url}`,
    `  Claude Code   ${mark(claude.ok)} ${claude.text}`,
    `  Speech        ${mark(speech.ok)} ${speech.text}`,
    `  Data dir      ${facts.dataDir}`,
    `  Working root  ${facts.workdirRoots.join(", ")}`,
  ].join("\n");
}

export function printStartupBanner(facts: StartupFacts, write: (text: string) => void = console.log): void {
  write(startupBanner(facts));
  printPairingBanner(facts.pairingUrl, write);
}
