import type { ComponentProps } from "react";
import { cn } from "./cn.ts";

const variants = {
  default: "bg-primary text-primary-foreground hover:bg-primary/90",
  secondary: "bg-secondary text-secondary-foreground hover:bg-secondary/80",
  outline: "border border-input bg-background hover:bg-muted",
  ghost: "hover:bg-muted",
  destructive: "bg-destructive text-white dark:text-background hover:bg-destructive/90",
  link: "text-primary underline-offset-4 hover:underline dark:text-blue-300",
} as const;

// The small sizes look small but are touched like the others: their tap area reaches 44 px (.tap-44).
const sizes = {
  default: "h-11 px-4 text-[15px]",
  sm: "tap-44 h-9 px-3 text-sm",
  icon: "size-11",
  "icon-sm": "tap-44 size-9",
} as const;

export type ButtonVariant = keyof typeof variants;
export type ButtonSize = keyof typeof sizes;

export interface ButtonProps extends ComponentProps<"button"> {
  variant?: ButtonVariant;
  size?: ButtonSize;
}

/** The button look, for elements that must stay what they are (e.g. Radix's own Action/Cancel buttons). */
export function buttonClasses(variant: ButtonVariant = "default", size: ButtonSize = "default", className?: string) {
  return cn(
    "inline-flex shrink-0 select-none items-center justify-center gap-2 whitespace-nowrap rounded-xl font-medium transition-colors",
    "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring",
    "disabled:pointer-events-none disabled:opacity-50 aria-disabled:opacity-50",
    "[&_svg]:pointer-events-none [&_svg]:size-5 [&_svg]:shrink-0",
    variants[variant],
    sizes[size],
    className,
  );
}

/** 44 px touch targets, whatever the size (`size="sm"` looks smaller for dense places). */
export function Button({ variant = "default", size = "default", className, type = "button", ...props }: ButtonProps) {
  return <button type={type} className={buttonClasses(variant, size, className)} {...props} />;
}
