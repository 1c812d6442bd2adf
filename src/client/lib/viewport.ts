/**
 * Keeps `--app-height` equal to the visual viewport's height. Android Chrome
 * honours `interactive-widget=resizes-content`, but iOS Safari only shrinks the
 * visual viewport when the keyboard opens: sizing the app to it keeps the
 * composer above the keyboard everywhere.
 */
export function trackVisualViewport(): () => void {
  const viewport = window.visualViewport;
  if (!viewport) return () => {};
  const root = document.documentElement;
  let frame = 0;
  const update = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      root.style.setProperty("--app-height", `${Math.round(viewport.height)}px`);
      // iOS scrolls the layout viewport to reveal the focused field; undo it, the app already fits.
      if (window.scrollY !== 0 && viewport.height < window.innerHeight) window.scrollTo(0, 0);
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
