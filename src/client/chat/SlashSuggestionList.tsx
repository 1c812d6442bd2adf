/** The `/` suggestions' list (see SlashSuggestions.tsx), loaded once the composer first needs it. */
import type { SlashCommand } from "../../shared/messages.ts";
import { SpinnerIcon } from "../ui/icons.tsx";
import { type CommandsState, optionId, SUGGESTIONS_ID } from "./SlashSuggestions.tsx";

export function SlashSuggestionList({
  state,
  matches,
  active,
  onChoose,
  onRetry,
}: {
  state: CommandsState;
  matches: SlashCommand[];
  active: number;
  onChoose: (command: SlashCommand) => void;
  onRetry: () => void;
}) {
  const shell =
    "absolute right-0 bottom-full left-0 z-20 mb-2 max-h-[min(50vh,320px)] overflow-y-auto rounded-2xl border bg-card p-1 shadow-lg";
  if (state.status === "loading" || state.status === "idle") {
    return (
      <div className={shell}>
        <p className="flex items-center gap-2 px-3 py-3 text-muted-foreground text-sm" role="status">
          <SpinnerIcon className="size-4" /> Loading the agent's commands…
        </p>
      </div>
    );
  }
  if (state.status === "error") {
    return (
      <div className={shell} role="alert">
        <p className="px-3 pt-2 text-sm">Couldn't load the commands. {state.error.message}</p>
        <button type="button" className="h-11 px-3 font-medium text-primary text-sm underline" onClick={onRetry}>
          Try again
        </button>
      </div>
    );
  }
  return (
    <div className={shell}>
      {matches.length === 0 ? (
        <p className="px-3 py-3 text-muted-foreground text-sm" role="status">
          No command matches. Send it as it is, or keep typing.
        </p>
      ) : null}
      <div id={SUGGESTIONS_ID} role="listbox" aria-label="Commands">
        {matches.map((command, index) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the field owns the keyboard (combobox); a click or tap chooses here
          <div
            key={command.name}
            id={optionId(command.name)}
            role="option"
            tabIndex={-1}
            aria-selected={index === active}
            // Keep the focus in the field: choosing must not blur it (the keyboard would close on a phone).
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => onChoose(command)}
            className={`flex min-h-11 cursor-pointer flex-col justify-center rounded-xl px-3 py-1.5 ${index === active ? "bg-accent text-accent-foreground" : ""}`}
          >
            <span className="flex min-w-0 items-baseline gap-1.5">
              <span className="shrink-0 font-medium font-mono text-sm">/{command.name}</span>
              {command.argumentHint ? (
                <span className="truncate font-mono text-muted-foreground text-xs">{command.argumentHint}</span>
              ) : null}
            </span>
            {command.description ? (
              <span className="line-clamp-2 text-muted-foreground text-xs">{command.description}</span>
            ) : null}
          </div>
        ))}
      </div>
    </div>
  );
}
