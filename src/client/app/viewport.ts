/**
 * Keeps the app as tall as the visual viewport. Android Chrome honours
 * `interactive-widget=resizes-content`, but iOS Safari only shrinks the visual
 * viewport when the keyboard opens: sizing the app to it keeps the composer
 * above the keyboard everywhere.
 *
 * `--app-height` is only set while the visual viewport is shorter than the
 * window; otherwise the stylesheet's `100dvh` already fits. Writing the same
 * height anyway would restyle and lay out the whole page on every start-up
 * (a custom property on the root is inherited by every element).
 */
export function trackVisualViewport(): () => void {
  const viewport = window.visualViewport;
  if (!viewport) return () => {};
  const root = document.documentElement;
  let frame = 0;
  let applied = "";
  const update = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const visible = Math.round(viewport.height);
      const height = visible < window.innerHeight ? `${visible}px` : "";
      if (height !== applied) {
        applied = height;
        if (height) root.style.setProperty("--app-height", height);
        else root.style.removeProperty("--app-height");
      }
      // iOS scrolls the layout viewport to reveal the focused field; undo it, the app already fits.
      if (height && window.scrollY !== 0) window.scrollTo(0, 0);
    });
  };
  update();
  viewport.addEventListener("resize", update);
  viewport.addEventListener("scroll", update);
  return () => {
    cancelAnimationFrame(frame);
    viewport.removeEventListener("resize", update);
    viewport.removeEventListener("scroll", update);
  };
}
