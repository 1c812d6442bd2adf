/**
 * Light / dark / system theme. The inline script in index.html applies the
 * stored choice before the first paint; this module changes it at run time.
 */
export type ThemePreference = "light" | "dark" | "system";

export const THEME_KEY = "pocket-agent:theme";
const THEME_COLORS = { light: "#ffffff", dark: "#0b1120" } as const;

export function readTheme(): ThemePreference {
  try {
    const stored = localStorage.getItem(THEME_KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system";
  }
}

function systemPrefersDark(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

/** Applies a preference to <html> and the browser chrome colour. */
export function applyTheme(preference: ThemePreference): void {
  const dark = preference === "dark" || (preference === "system" && systemPrefersDark());
  const root = document.documentElement;
  root.classList.toggle("dark", dark);
  root.style.colorScheme = dark ? "dark" : "light";
  for (const meta of document.querySelectorAll<HTMLMetaElement>('meta[name="theme-color"]')) {
    // With an explicit choice both metas carry it; with "system" each keeps its media query's colour.
    const media = meta.getAttribute("media") ?? "";
    const forDark = media.includes("dark");
    meta.content =
      preference === "system" ? THEME_COLORS[forDark ? "dark" : "light"] : THEME_COLORS[dark ? "dark" : "light"];
  }
}

export function saveTheme(preference: ThemePreference): void {
  try {
    if (preference === "system") localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, preference);
  } catch {
    // Not persisted (private mode); still applied for this visit.
  }
  applyTheme(preference);
}

/** Re-applies "system" when the OS theme changes. Returns the unsubscribe. */
export function followSystemTheme(current: () => ThemePreference): () => void {
  if (typeof matchMedia !== "function") return () => {};
  const query = matchMedia("(prefers-color-scheme: dark)");
  const onChange = () => {
    if (current() === "system") applyTheme("system");
  };
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}
