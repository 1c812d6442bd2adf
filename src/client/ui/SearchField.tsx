import { useId } from "react";
import { XIcon } from "./icons.tsx";
import { SearchIcon } from "./sheetIcons.tsx";

/**
 * A search box for a sheet's list: a visually hidden label, a clear button while it holds text, and
 * Escape that clears the text first (the sheet closes on the next Escape, not this one).
 */
export function SearchField({
  label,
  value,
  onChange,
  placeholder,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
}) {
  const id = useId();
  return (
    <div className="relative">
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <SearchIcon className="pointer-events-none absolute top-3 left-3 size-5 text-muted-foreground" />
      <input
        id={id}
        type="search"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Escape" && value !== "") {
            event.stopPropagation();
            onChange("");
          }
        }}
        placeholder={placeholder}
        enterKeyHint="search"
        autoComplete="off"
        autoCapitalize="off"
        spellCheck={false}
        className="h-11 w-full rounded-xl border border-input bg-card pr-11 pl-10 text-[15px] placeholder:text-muted-foreground focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none [&::-webkit-search-cancel-button]:hidden"
      />
      {value ? (
        <button
          type="button"
          aria-label="Clear the search"
          onClick={() => onChange("")}
          className="absolute top-0 right-0 inline-flex size-11 items-center justify-center rounded-xl text-muted-foreground focus-visible:outline-2 focus-visible:outline-ring"
        >
          <XIcon className="size-4" />
        </button>
      ) : null}
    </div>
  );
}
