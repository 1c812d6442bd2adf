/** A single-choice segmented control on Radix ToggleGroup (arrow keys move, one value at a time). */
import { ToggleGroup } from "radix-ui";
import type { ReactNode } from "react";
import { cn } from "./cn.ts";

export interface SegmentedOption<T extends string> {
  value: T;
  label: ReactNode;
}

export interface SegmentedProps<T extends string> {
  label: string;
  value: T;
  options: ReadonlyArray<SegmentedOption<T>>;
  onChange: (value: T) => void;
  className?: string;
}

export function Segmented<T extends string>({ label, value, options, onChange, className }: SegmentedProps<T>) {
  return (
    <ToggleGroup.Root
      type="single"
      aria-label={label}
      value={value}
      onValueChange={(next) => {
        const option = options.find((o) => o.value === next);
        if (option) onChange(option.value); // ignore deselecting the current value
      }}
      className={cn("grid auto-cols-fr grid-flow-col gap-1 rounded-xl bg-muted p-1", className)}
    >
      {options.map((option) => (
        <ToggleGroup.Item
          key={option.value}
          value={option.value}
          className={cn(
            "inline-flex h-9 items-center justify-center gap-1.5 rounded-lg px-2 font-medium text-muted-foreground text-sm transition-colors",
            // The tap area takes in the control's padding: 44 px tall, as a thumb needs.
            "relative after:absolute after:-inset-1 after:content-['']",
            "hover:text-foreground focus-visible:outline-2 focus-visible:outline-ring",
            "data-[state=on]:bg-background data-[state=on]:text-foreground data-[state=on]:shadow-sm [&_svg]:size-4",
          )}
        >
          {option.label}
        </ToggleGroup.Item>
      ))}
    </ToggleGroup.Root>
  );
}
