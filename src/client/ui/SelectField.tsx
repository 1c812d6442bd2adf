import { type ReactNode, useId } from "react";
import { ChevronDownIcon } from "./icons.tsx";

/** A native select with its small label above it, full width and 44 px tall (the phone's own picker opens). */
export function SelectField({
  label,
  value,
  onChange,
  children,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The `<option>`s. */
  children: ReactNode;
}) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="text-muted-foreground text-xs">
        {label}
      </label>
      <div className="relative">
        <select
          id={id}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          className="h-11 w-full appearance-none rounded-xl border border-input bg-card pr-9 pl-3 text-[15px] focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none"
        >
          {children}
        </select>
        <ChevronDownIcon className="pointer-events-none absolute top-3 right-3 size-5 text-muted-foreground" />
      </div>
    </div>
  );
}
