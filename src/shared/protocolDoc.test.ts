import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { clientEvents, ERROR_CODES, serverEvents } from "./messages.ts";
import { TranscribeErrorCode } from "./transcription.ts";

/** docs/protocol.md describes the code: every event name and error code in it appears there. */
const doc = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");
const mentioned = (name: string) => doc.includes(`\`${name}\``);

describe("docs/protocol.md", () => {
  test.each([...ERROR_CODES])("documents the error code %s", (code) => {
    expect(mentioned(code)).toBe(true);
  });

  test.each(TranscribeErrorCode.options)("documents the transcription error code %s", (code) => {
    expect(mentioned(code)).toBe(true);
  });

  test.each(Object.keys(clientEvents))("documents the client event %s", (name) => {
    expect(mentioned(name)).toBe(true);
  });

  test.each(Object.keys(serverEvents))("documents the server event %s", (name) => {
    expect(mentioned(name)).toBe(true);
  });
});
