import { describe, expect, test } from "bun:test";
import { cn } from "./cn.ts";

describe("cn", () => {
  test("joins and skips falsy values", () => {
    expect(cn("a", false, null, undefined, "", "b  c")).toBe("a b c");
  });

  test("an override replaces the variant's class of the same group, in the variant's place", () => {
    expect(cn("inline-flex rounded-xl h-11 px-4", "rounded-full")).toBe("inline-flex h-11 px-4 rounded-full");
    expect(cn("h-9 px-3 text-sm", "h-7 rounded-lg px-2 text-xs")).toBe("h-7 rounded-lg px-2 text-xs");
    expect(cn("min-w-0 w-4", "min-w-[6.5rem]")).toBe("w-4 min-w-[6.5rem]");
  });

  test("text size, colour and alignment are separate groups", () => {
    expect(cn("text-sm text-primary text-left", "text-muted-foreground")).toBe(
      "text-sm text-left text-muted-foreground",
    );
    expect(cn("text-[15px]", "text-xs")).toBe("text-xs");
  });

  test("border width and border colour are separate groups", () => {
    expect(cn("border border-input", "border-destructive/50")).toBe("border border-destructive/50");
    expect(cn("border-2", "border")).toBe("border");
  });

  test("variants are part of the group: hover:bg does not replace bg", () => {
    expect(cn("bg-primary hover:bg-primary/90", "hover:bg-transparent")).toBe("bg-primary hover:bg-transparent");
    expect(cn("aria-disabled:opacity-50", "aria-disabled:opacity-100")).toBe("aria-disabled:opacity-100");
    expect(cn("[&_svg]:size-5", "[&_svg]:size-4 size-9")).toBe("[&_svg]:size-4 size-9");
  });

  test("different spacing sides and prefixes that merely look alike are kept", () => {
    expect(cn("p-3 px-2 pointer-events-none whitespace-nowrap w-full flex-1 flex")).toBe(
      "p-3 px-2 pointer-events-none whitespace-nowrap w-full flex-1 flex",
    );
    expect(cn("rounded-xl rounded-t-none")).toBe("rounded-xl rounded-t-none");
  });

  test("classes in no group are kept, even repeated", () => {
    expect(cn("shrink-0 select-none", "shrink-0")).toBe("shrink-0 select-none shrink-0");
  });
});
