import { realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";

/** Resolves a session's working directory inside the allowed roots (symlinks resolved). */
export function resolveWorkdir(
  requested: string | undefined,
  roots: string[],
): { ok: true; path: string } | { ok: false; message: string } {
  const [first] = roots;
  if (!first) return { ok: false, message: "No working-directory roots are configured." };
  const candidate = requested === undefined ? first : isAbsolute(requested) ? requested : resolve(first, requested);
  let real: string;
  try {
    real = realpathSync(candidate);
    if (!statSync(real).isDirectory()) return { ok: false, message: `${requested} is not a directory.` };
  } catch {
    return { ok: false, message: `${requested ?? candidate} does not exist.` };
  }
  const inside = roots.some((root) => {
    const rel = relative(realpathSync(root), real);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  });
  return inside
    ? { ok: true, path: real }
    : { ok: false, message: "The working directory must be inside an allowed root." };
}
