/** Small per-device choices kept in localStorage. */
import type { CreatablePermissionMode } from "../chat/types.ts";
import { isCreatableMode } from "./permissionModes.ts";

export const MODELS = ["haiku", "sonnet", "opus"] as const;
export type ModelChoice = (typeof MODELS)[number];

const MODEL_KEY = "pocket-agent:model";

export function readModel(): ModelChoice {
  try {
    const stored = localStorage.getItem(MODEL_KEY);
    return MODELS.find((model) => model === stored) ?? "sonnet";
  } catch {
    return "sonnet";
  }
}

export function saveModel(model: ModelChoice): void {
  try {
    localStorage.setItem(MODEL_KEY, model);
  } catch {
    // best effort
  }
}

const MODE_KEY = "pocket-agent:permission-mode";

/** The permission mode new sessions start in (never bypass: that needs a confirmation per session). */
export function readPermissionMode(): CreatablePermissionMode {
  try {
    const stored = localStorage.getItem(MODE_KEY) ?? "";
    return isCreatableMode(stored) ? stored : "default";
  } catch {
    return "default";
  }
}

export function savePermissionMode(mode: CreatablePermissionMode): void {
  try {
    localStorage.setItem(MODE_KEY, mode);
  } catch {
    // best effort
  }
}
