import { useSyncExternalStore } from "react";

const COARSE = "(pointer: coarse)";

function subscribe(onChange: () => void): () => void {
  if (typeof matchMedia !== "function") return () => {};
  const query = matchMedia(COARSE);
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}

/** A touch screen is the main pointer (phones, tablets). False in the static shell and until hydrated. */
export function isPointerCoarse(): boolean {
  return typeof matchMedia === "function" && matchMedia(COARSE).matches;
}

export function usePointerCoarse(): boolean {
  return useSyncExternalStore(subscribe, isPointerCoarse, () => false);
}
