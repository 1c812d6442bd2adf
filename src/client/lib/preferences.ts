/** Small per-device choices kept in localStorage. */
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
