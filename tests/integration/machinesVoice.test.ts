import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSdkRunner } from "../../src/server/agent/sdkRunner.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import { TranscribeResponse } from "../../src/shared/transcription.ts";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { makeSpeechClip, requireTools, writeGrammar } from "../fixtures/audio/makeClips.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { FAST_LINK, linkRemote, REMOTE_TOKEN } from "../fixtures/machines.ts";
import { startTestServer, TEST_TOKEN, TestClient, type TestServer } from "../fixtures/testServer.ts";

/**
 * Voice against a linked machine's session (issue 21: "transcription stays on the home server"):
 * the phone uploads its recording to home's `POST /api/transcribe` (ffmpeg + pocketsphinx with a
 * grammar, as the transcription tests run them), then sends the text with `chat:send` to a session
 * that lives on the remote, whose real Claude Code CLI answers it.
 */
const TIMEOUT = 90_000;
const PHRASE = "run the tests";
let root: string;
let clip: string;
let homeApi: FakeAnthropic;
let remoteApi: FakeAnthropic;
let homeEnv: AgentEnv;
let remoteEnv: AgentEnv;
let home: TestServer;
let remote: TestServer;

beforeAll(async () => {
  setLogLevel("error");
  requireTools();
  root = await mkdtemp(join(tmpdir(), "pocket-machines-voice-"));
  const grammar = join(root, "grammar.jsgf");
  await writeGrammar(grammar, [PHRASE, "show the git status", "list all files"]);
  // Chromium's MediaRecorder sends Opus in WebM.
  clip = await makeSpeechClip(root, "dictation", [PHRASE], "webm");
  [homeApi, remoteApi] = await Promise.all([startFakeAnthropic(), startFakeAnthropic()]);
  remoteApi.when(PHRASE, reply().text("Ran the tests on the remote."));
  homeEnv = makeAgentEnv(homeApi.url);
  remoteEnv = makeAgentEnv(remoteApi.url);
  remote = await startTestServer({
    runner: createSdkRunner({ maxTurns: 4, env: remoteEnv.env }),
    workdir: remoteEnv.cwd,
    env: { POCKET_TOKEN: REMOTE_TOKEN },
  });
  // The server reads its speech-to-text settings from its environment when it starts.
  const saved = { POCKET_STT: process.env.POCKET_STT, POCKET_STT_GRAMMAR: process.env.POCKET_STT_GRAMMAR };
  Object.assign(process.env, { POCKET_STT: "pocketsphinx", POCKET_STT_GRAMMAR: grammar });
  try {
    home = await startTestServer({
      runner: createSdkRunner({ maxTurns: 4, env: homeEnv.env }),
      workdir: homeEnv.cwd,
      machines: FAST_LINK,
    });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}, 60_000);
afterAll(async () => {
  await Promise.all([home?.cleanup(), remote?.cleanup()]);
  await Promise.all([homeApi?.close(), remoteApi?.close()]);
  homeEnv?.cleanup();
  remoteEnv?.cleanup();
  if (root) await rm(root, { recursive: true, force: true });
  setLogLevel("info");
});

test(
  "dictated on the phone, transcribed on home, answered by the remote's agent",
  async () => {
    const phone = await TestClient.connect(home.url);
    const machine = await linkRemote(phone, remote.url);
    const session = await phone.createSession({ machineId: machine.id });

    const form = new FormData();
    form.append("audio", new Blob([await Bun.file(clip).arrayBuffer()], { type: "audio/webm" }), "recording.webm");
    const res = await fetch(`${home.url}/api/transcribe`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      body: form,
    });
    expect(res.status).toBe(200);
    const transcript = TranscribeResponse.parse(await res.json());
    expect(transcript).toMatchObject({ text: PHRASE, engine: "pocketsphinx" });

    const requestId = phone.send(session.id, transcript.text);
    const response = await phone.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
    expect(response).toMatchObject({ sessionId: session.id, response: "Ran the tests on the remote." });
    // The text reached the remote's agent, not home's, and the turn is stored on the remote.
    expect(remoteApi.log.some((r) => r.userText === PHRASE)).toBe(true);
    expect(homeApi.log).toEqual([]);
    expect(remote.service.list().map((s) => s.id)).toEqual([session.id]);
    const queued = phone.all("chat:queued").find((p) => p.requestId === requestId);
    expect(queued?.message).toBe(PHRASE);
    phone.close();
  },
  TIMEOUT,
);
