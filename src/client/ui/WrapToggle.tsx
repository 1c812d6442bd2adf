import { Button } from "./button.tsx";
import { cn } from "./cn.ts";

/** Says whether long lines wrap or scroll sideways, with the button that switches. */
export function WrapToggle({
  wrap,
  onChange,
  className,
}: {
  wrap: boolean;
  onChange: (wrap: boolean) => void;
  className?: string;
}) {
  return (
    <div className={cn("flex items-center justify-between gap-2 text-muted-foreground text-xs", className)}>
      <span data-wrap={wrap ? "wrap" : "scroll"}>{wrap ? "Long lines wrap." : "Long lines scroll sideways."}</span>
      <Button variant="ghost" size="sm" className="h-11 px-2 text-xs" onClick={() => onChange(!wrap)}>
        {wrap ? "Scroll instead" : "Wrap instead"}
      </Button>
    </div>
  );
}
