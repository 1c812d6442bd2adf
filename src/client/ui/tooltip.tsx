/**
 * A tiny accessible tooltip: the text is linked with aria-describedby and shown
 * on hover, keyboard focus, or a tap (touch has no hover); Escape hides it.
 * (Radix Tooltip would pull in a positioning engine, ~16 KB gzip, for one hint.)
 */
import { cloneElement, type ReactElement, useEffect, useId, useState } from "react";
import { cn } from "./cn.ts";

export interface TooltipProps {
  content: string;
  children: ReactElement<{ "aria-describedby"?: string }>;
  /** Horizontal anchoring of the bubble relative to the trigger. */
  align?: "start" | "center" | "end";
  /** Room for a few sentences (e.g. setup instructions). */
  wide?: boolean;
}

export function Tooltip({ content, children, align = "start", wide = false }: TooltipProps) {
  const id = useId();
  const [tapped, setTapped] = useState(false);
  const [dismissed, setDismissed] = useState(false);

  useEffect(() => {
    if (!tapped) return;
    const timer = setTimeout(() => setTapped(false), wide ? 8_000 : 2_000);
    return () => clearTimeout(timer);
  }, [tapped, wide]);

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: pointer/keyboard handling only decides when the hint shows
    <span
      className="group relative inline-flex"
      onPointerUp={(event) => {
        if (event.pointerType !== "mouse") setTapped(true);
      }}
      onPointerEnter={() => setDismissed(false)}
      onFocus={() => setDismissed(false)}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          setDismissed(true);
          setTapped(false);
        }
      }}
    >
      {cloneElement(children, { "aria-describedby": id })}
      <span
        role="tooltip"
        id={id}
        data-open={tapped ? "" : undefined}
        className={cn(
          "pointer-events-none absolute bottom-full z-50 mb-2 w-max rounded-lg bg-foreground px-2.5 py-1.5 text-background text-xs shadow-md",
          wide ? "max-w-[min(20rem,calc(100vw-2rem))] break-words" : "max-w-56",
          "opacity-0 transition-opacity delay-0 group-focus-within:opacity-100 group-hover:opacity-100 group-hover:delay-200 data-[open]:opacity-100",
          dismissed && "!opacity-0",
          align === "start" ? "left-0" : align === "end" ? "right-0" : "left-1/2 -translate-x-1/2",
        )}
      >
        {content}
      </span>
    </span>
  );
}
