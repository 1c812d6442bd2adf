import { useMemo } from "react";
import type { Session } from "../../shared/messages.ts";
import { describeConnection } from "../chatMachine.ts";
import { cn } from "../lib/cn.ts";
import { MODELS, type ModelChoice } from "../lib/preferences.ts";
import type { ThemePreference } from "../lib/theme.ts";
import { relativeAge } from "../lib/time.ts";
import { useChatActor, useChatSelector } from "../lib/useChat.ts";
import { useNow } from "../lib/useNow.ts";
import { MonitorIcon, MoonIcon, PlusIcon, SunIcon } from "./icons.tsx";
import { StatusDot } from "./StatusDot.tsx";
import { Button } from "./ui/button.tsx";
import { Sheet, SheetContent } from "./ui/sheet.tsx";
import { Segmented } from "./ui/toggle-group.tsx";

export interface SessionsSheetProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  model: ModelChoice;
  onModelChange: (model: ModelChoice) => void;
  onCreate: () => void;
  theme: ThemePreference;
  onThemeChange: (theme: ThemePreference) => void;
}

const THEME_OPTIONS = [
  {
    value: "light",
    label: (
      <>
        <SunIcon /> Light
      </>
    ),
  },
  {
    value: "dark",
    label: (
      <>
        <MoonIcon /> Dark
      </>
    ),
  },
  {
    value: "system",
    label: (
      <>
        <MonitorIcon /> System
      </>
    ),
  },
] as const;

const MODEL_OPTIONS = MODELS.map((model) => ({ value: model, label: model[0]?.toUpperCase() + model.slice(1) }));

export function SessionsSheet(props: SessionsSheetProps) {
  const { open, onOpenChange, model, onModelChange, onCreate, theme, onThemeChange } = props;
  const actor = useChatActor();
  const sessions = useChatSelector((s) => s.context.sessions);
  const currentId = useChatSelector((s) => s.context.sessionId);
  const connection = useChatSelector((s) => s.context.connection);
  const creating = useChatSelector((s) => s.matches({ connected: { session: "creating" } }));
  const connected = connection.status === "connected";
  const now = useNow();
  const sorted = useMemo(() => [...sessions].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)), [sessions]);

  const select = (session: Session) => {
    actor.send({ type: "SWITCH_SESSION", sessionId: session.id });
    onOpenChange(false);
  };

  return (
    <Sheet open={open} onOpenChange={onOpenChange}>
      <SheetContent
        side="left"
        title="Sessions"
        description={
          <span className="inline-flex items-center gap-1.5">
            <StatusDot connection={connection} />
            {describeConnection(connection)}
          </span>
        }
      >
        <div className="flex-1 space-y-6 overflow-y-auto overscroll-contain px-3 py-4">
          <section aria-labelledby="new-session-heading" className="space-y-2.5 px-1">
            <h2
              id="new-session-heading"
              className="font-semibold text-muted-foreground text-xs uppercase tracking-wide"
            >
              New session
            </h2>
            <Segmented label="Model" value={model} options={MODEL_OPTIONS} onChange={onModelChange} />
            <Button className="w-full" onClick={onCreate} disabled={!connected || creating}>
              <PlusIcon />
              {creating ? "Creating…" : `Create ${model} session`}
            </Button>
          </section>

          <section aria-labelledby="session-list-heading" className="space-y-1.5">
            <h2
              id="session-list-heading"
              className="px-1 font-semibold text-muted-foreground text-xs uppercase tracking-wide"
            >
              Recent
            </h2>
            {sorted.length === 0 ? (
              <p className="px-1 text-muted-foreground text-sm">
                {connected ? "No sessions yet. Create one above." : "Sessions appear once connected."}
              </p>
            ) : (
              <ul className="space-y-1">
                {sorted.map((session) => {
                  const current = session.id === currentId;
                  return (
                    <li key={session.id}>
                      <button
                        type="button"
                        aria-current={current ? "true" : undefined}
                        onClick={() => select(session)}
                        className={cn(
                          "flex w-full items-center gap-3 rounded-xl px-3 py-2.5 text-left transition-colors",
                          "hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring",
                          current && "bg-accent text-accent-foreground hover:bg-accent",
                        )}
                      >
                        <span className="min-w-0 flex-1">
                          <span className="block truncate font-medium text-[15px]">{session.title || "Untitled"}</span>
                          <span
                            className={cn(
                              "block truncate text-xs",
                              current ? "text-accent-foreground/85" : "text-muted-foreground",
                            )}
                          >
                            {session.model} · {relativeAge(session.updatedAt, now)}
                            {session.queued > 0 ? ` · ${session.queued} queued` : ""}
                            {session.pendingPermissions > 0 ? " · needs approval" : ""}
                          </span>
                        </span>
                        {session.status === "running" ? (
                          <span className="inline-flex items-center gap-1 font-medium text-xs">
                            <span
                              aria-hidden="true"
                              className="size-2 animate-[pulse-dot_1s_ease-in-out_infinite] rounded-full bg-primary dark:bg-blue-400"
                            />
                            Working
                          </span>
                        ) : null}
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
          </section>
        </div>

        <footer className="space-y-3 border-t px-4 pt-3 pb-[max(env(safe-area-inset-bottom),0.75rem)]">
          <Segmented label="Theme" value={theme} options={THEME_OPTIONS} onChange={onThemeChange} />
          {connection.serverVersion ? (
            <p className="text-muted-foreground text-xs">Server {connection.serverVersion}</p>
          ) : null}
        </footer>
      </SheetContent>
    </Sheet>
  );
}
