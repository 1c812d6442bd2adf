/** This device's notification choices, kept in localStorage and sent with every `push:subscribe`. */
import { LIMITS, PUSH_EVENT_KINDS, type PushEventKind } from "../../shared/constants.ts";
import type { KeyValueStore } from "../chat/types.ts";

export interface PushPreferences {
  deviceName: string;
  events: PushEventKind[];
}

const KEY = "pocket-agent:push";

export const EVENT_LABELS: Record<PushEventKind, { label: string; description: string }> = {
  permission: { label: "Approvals", description: "A tool use waits for Allow or Deny" },
  question: { label: "Questions", description: "The agent asks you to choose" },
  done: { label: "Finished replies", description: "A message is answered" },
  error: { label: "Failures", description: "A message failed" },
};

export function readPushPreferences(store: KeyValueStore | null, fallbackName: string): PushPreferences {
  const defaults: PushPreferences = { deviceName: fallbackName, events: [...PUSH_EVENT_KINDS] };
  try {
    const raw: unknown = JSON.parse(store?.getItem(KEY) ?? "null");
    if (typeof raw !== "object" || raw === null) return defaults;
    const { deviceName, events } = raw as { deviceName?: unknown; events?: unknown };
    return {
      deviceName: cleanName(typeof deviceName === "string" ? deviceName : "") || fallbackName,
      events: Array.isArray(events) ? PUSH_EVENT_KINDS.filter((kind) => events.includes(kind)) : defaults.events,
    };
  } catch {
    return defaults;
  }
}

export function savePushPreferences(store: KeyValueStore | null, preferences: PushPreferences): void {
  try {
    store?.setItem(KEY, JSON.stringify(preferences));
  } catch {
    // best effort: the server keeps them too
  }
}

/** One line, at most the server's length. */
export function cleanName(name: string): string {
  return name.replace(/\s+/g, " ").trim().slice(0, LIMITS.deviceNameChars);
}
