import { expect, test } from "bun:test";
import type { TranscriptionStatus } from "../shared/transcription.ts";
import { startupBanner } from "./startupBanner.ts";

const speech = (engine: TranscriptionStatus["engine"], setupHint?: string): TranscriptionStatus => ({
  mode: "auto",
  engine,
  checked: true,
  running: 0,
  queued: 0,
  maxConcurrent: 1,
  maxQueue: 2,
  maxBytes: 1,
  maxDurationSec: 1,
  ...(setupHint ? { setupHint } : {}),
});

const facts = {
  version: "1.2.3",
  url: "http://127.0.0.1:3000",
  pairingUrl: "http://127.0.0.1:3000/?token=secret-token-value",
  dataDir: "/home/me/.pocket-agent",
  workdirRoots: ["/home/me/project"],
  command: "pocket-agent",
};

test("the banner says where to open it, the Claude Code login, the speech engine and the data dir", () => {
  const text = startupBanner({
    ...facts,
    claude: { state: "logged_in", method: "claude.ai" },
    speech: speech("pocketsphinx"),
  });
  expect(text.split("\n")).toEqual([
    "Pocket Agent 1.2.3 on http://127.0.0.1:3000",
    "  Claude Code   ✓ logged in (claude.ai)",
    "  Speech        ✓ pocketsphinx",
    "  Data dir      /home/me/.pocket-agent",
    "  Working root  /home/me/project",
  ]);
  // The token appears only in the pairing part, printed after this.
  expect(text).not.toContain("secret-token-value");
});

test("not logged in and no speech engine: each line says how to fix it", () => {
  const text = startupBanner({
    ...facts,
    claude: { state: "logged_out" },
    speech: speech(null, "install pocketsphinx"),
  });
  expect(text).toContain("Claude Code   ✗ not logged in: run `pocket-agent login`, or set ANTHROPIC_API_KEY");
  expect(text).toContain("Speech        ✗ none, voice input is off: install pocketsphinx");
});
