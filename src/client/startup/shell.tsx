/**
 * The first screen as static HTML, rendered at build time into index.html so the phone paints the
 * app's frame (top bar, composer) as soon as the HTML and CSS arrive, before the JavaScript has
 * loaded. It is the app's own first render, from the stand-in actors of shellActors.ts, so nothing
 * connects or fetches here.
 *
 * #root carries it inert and hidden from assistive technology (its buttons do nothing yet). React
 * hydrates it: it adopts these very elements, with no new DOM and no new layout, and main.tsx then
 * lifts `inert` (decision 011).
 */
import { StrictMode } from "react";
import { renderToString } from "react-dom/server";
import { App } from "../app/App.tsx";
import { createShellActors } from "./shellActors.ts";
import { STATIC_SHELL_ATTRIBUTE } from "./staticShell.ts";

/** Attributes of #root while it holds the static shell; main.tsx removes them once React owns it. */
export const STATIC_SHELL_ROOT_ATTRIBUTES = `${STATIC_SHELL_ATTRIBUTE}="" inert="" aria-hidden="true"`;

export function renderStaticShell(): string {
  // renderToString, not renderToStaticMarkup: hydration needs its text separators.
  return renderToString(
    <StrictMode>
      <App {...createShellActors()} />
    </StrictMode>,
  );
}
