import { describe, expect, test } from "bun:test";
import { MemoryStorage } from "../testing/memoryStorage.ts";
import { MAX_DRAFTS, readDraft, writeDraft } from "./drafts.ts";
import type { KeyValueStore } from "./types.ts";

describe("drafts", () => {
  test("each session has its own; an empty text removes it", () => {
    const storage = new MemoryStorage();
    writeDraft(storage, "a", "for A");
    writeDraft(storage, "b", "for B");
    expect(readDraft(storage, "a")).toBe("for A");
    expect(readDraft(storage, "b")).toBe("for B");
    expect(readDraft(storage, "c")).toBe("");
    writeDraft(storage, "a", "");
    expect(readDraft(storage, "a")).toBe("");
    expect([...storage.data.keys()].some((key) => key.endsWith(":a"))).toBe(false);
  });

  test("bounded: the drafts written longest ago go first", () => {
    const storage = new MemoryStorage();
    for (let i = 0; i <= MAX_DRAFTS; i++) writeDraft(storage, `s${i}`, `draft ${i}`);
    expect(readDraft(storage, "s0")).toBe("");
    expect(readDraft(storage, "s1")).toBe("draft 1");
    expect(readDraft(storage, `s${MAX_DRAFTS}`)).toBe(`draft ${MAX_DRAFTS}`);
  });

  test("no storage, or storage that throws, keeps nothing and never throws", () => {
    expect(readDraft(null, "a")).toBe("");
    writeDraft(null, "a", "x");
    const broken: KeyValueStore = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
      removeItem: () => undefined,
    };
    expect(() => writeDraft(broken, "a", "x")).not.toThrow();
    expect(readDraft(broken, "a")).toBe("");
  });
});
