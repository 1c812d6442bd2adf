/**
 * The Claude Code CLI that the Agent SDK runs: where it is, and whether it can reach a model
 * (logged in, or an API key). Read by the start-up banner, `pocket-agent doctor` and
 * `pocket-agent login`. Nothing here calls the Anthropic API.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";

/**
 * The native CLI shipped in the SDK's optional platform package, found the way the SDK itself
 * looks for it (glibc build first, then musl, on Linux); null when none is installed.
 */
export function bundledClaudePath(platform = process.platform, arch = process.arch): string | null {
  let require: NodeJS.Require;
  try {
    const sdk = createRequire(import.meta.url).resolve("@anthropic-ai/claude-agent-sdk");
    require = createRequire(`${dirname(sdk)}/`);
  } catch {
    return null;
  }
  const base = "@anthropic-ai/claude-agent-sdk";
  const names =
    platform === "linux" ? [`${base}-linux-${arch}`, `${base}-linux-${arch}-musl`] : [`${base}-${platform}-${arch}`];
  const exe = platform === "win32" ? ".exe" : "";
  for (const name of names) {
    try {
      const path = require.resolve(`${name}/claude${exe}`);
      if (existsSync(path)) return path;
    } catch {
      // Not this variant.
    }
  }
  return null;
}

export type ClaudeLogin =
  | { state: "logged_in"; method: string }
  | { state: "logged_out" }
  | { state: "unknown"; reason: string };

/**
 * `claude auth status` (local: it reads the stored credentials and the environment, ~0.7 s).
 * An API key in the environment counts as logged in, as it does for the CLI.
 */
export async function claudeLoginStatus(
  claudePath: string | null,
  env: Record<string, string | undefined> = process.env,
  timeoutMs = 15_000,
): Promise<ClaudeLogin> {
  if (!claudePath) return { state: "unknown", reason: "the Claude Code CLI was not found" };
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    proc = Bun.spawn([claudePath, "auth", "status"], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...env, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" },
      timeout: timeoutMs,
    });
  } catch (error) {
    return { state: "unknown", reason: error instanceof Error ? error.message : String(error) };
  }
  const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  try {
    const status = JSON.parse(out) as { loggedIn?: unknown; authMethod?: unknown; apiKeySource?: unknown };
    if (status.loggedIn === true) {
      const method = typeof status.apiKeySource === "string" ? status.apiKeySource : String(status.authMethod);
      return { state: "logged_in", method };
    }
    if (status.loggedIn === false) return { state: "logged_out" };
  } catch {
    // Not JSON: an older CLI, or it failed.
  }
  return { state: "unknown", reason: `\`claude auth status\` answered: ${out.trim().slice(0, 200) || "nothing"}` };
}
