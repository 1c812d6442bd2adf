/**
 * Pocket Agent's own secrets in the environment. Everything the server starts
 * (the agent, whose shell runs whatever the model writes; ffmpeg; the speech
 * engines) inherits the environment, and none of them needs these: the token
 * would let the agent, or anything injected into it, drive the server.
 */
export const SECRET_VARIABLES = ["POCKET_TOKEN", "POCKET_STT_KEY"] as const;

/** A copy of `env` without Pocket Agent's secrets. */
export function withoutSecrets<T extends Record<string, string | undefined>>(env: T): T {
  const copy = { ...env };
  for (const name of SECRET_VARIABLES) delete copy[name];
  return copy;
}

/** Removes the secrets from the live environment (`process.env`) once the configuration holds them. */
export function forgetSecrets(env: Record<string, string | undefined> = process.env): void {
  for (const name of SECRET_VARIABLES) delete env[name];
}
