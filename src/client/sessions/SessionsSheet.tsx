import { useId, useMemo } from "react";
import type { Session } from "../../shared/messages.ts";
import type { ThemePreference } from "../app/theme.ts";
import { NeedsApprovalBadge } from "../approvals/NeedsApprovalBadge.tsx";
import type { CreatablePermissionMode } from "../chat/types.ts";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { StatusDot } from "../connection/StatusDot.tsx";
import { describeConnection } from "../connection/status.ts";
import { projectName } from "../projects/names.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import {
  BellIcon,
  ChevronDownIcon,
  ChevronRightIcon,
  FolderIcon,
  MonitorIcon,
  MoonIcon,
  MoreIcon,
  PlusIcon,
  SunIcon,
} from "../ui/icons.tsx";
import { Sheet, SheetContent } from "../ui/sheet.tsx";
import { relativeAge } from "../ui/time.ts";
import { Segmented } from "../ui/toggle-group.tsx";
import { useNow } from "../ui/useNow.ts";
import { groupByProject } from "./groups.ts";
import { CREATABLE_MODES, isCreatableMode } from "./permissionModes.ts";
import { MODELS, type ModelChoice } from "./preferences.ts";

export interface SessionsSheetProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  model: ModelChoice;
  onModelChange: (model: ModelChoice) => void;
  permissionMode: CreatablePermissionMode;
  onPermissionModeChange: (mode: CreatablePermissionMode) => void;
  /** Opens the settings (rename, model, permissions, delete) of one session. */
  onOpenSettings: (sessionId: string) => void;
  onCreate: () => void;
  /** Where new sessions start (this device's choice); null: the server's first root. */
  project: string | null;
  /** Opens the projects sheet (pick a project, continue a desk session). */
  onOpenProjects: () => void;
  /** Opens the app's notification settings for this device. */
  onOpenNotifications: () => void;
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
  const { permissionMode, onPermissionModeChange, onOpenSettings, project, onOpenProjects, onOpenNotifications } =
    props;
  const modeFieldId = useId();
  const actor = useChatActor();
  const sessions = useChatSelector((s) => s.context.sessions);
  const currentId = useChatSelector((s) => s.context.sessionId);
  const connection = useChatSelector((s) => s.context.connection);
  const creating = useChatSelector((s) => s.matches({ connected: { session: "creating" } }));
  const connected = connection.status === "connected";
  const now = useNow();
  const groups = useMemo(() => groupByProject(sessions), [sessions]);

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
            <button
              type="button"
              onClick={onOpenProjects}
              aria-label={`Project: ${project ? projectName(project) : "the server's default folder"}. Choose a project or continue a session from the desk`}
              className="flex min-h-11 w-full items-center gap-3 rounded-xl border border-input bg-card px-3 py-2 text-left focus-visible:outline-2 focus-visible:outline-ring"
            >
              <FolderIcon className="size-5 shrink-0 text-muted-foreground" />
              <span className="min-w-0 flex-1">
                <span className="block text-muted-foreground text-xs">Project</span>
                <span className="block truncate font-medium text-[15px]">
                  {project ? projectName(project) : "Default folder"}
                </span>
              </span>
              <ChevronRightIcon className="size-4 shrink-0 text-muted-foreground" />
            </button>
            <Segmented label="Model" value={model} options={MODEL_OPTIONS} onChange={onModelChange} />
            <div className="space-y-1">
              <label htmlFor={modeFieldId} className="text-muted-foreground text-xs">
                Permissions
              </label>
              <div className="relative">
                <select
                  id={modeFieldId}
                  value={permissionMode}
                  onChange={(event) => {
                    if (isCreatableMode(event.target.value)) onPermissionModeChange(event.target.value);
                  }}
                  className="h-11 w-full appearance-none rounded-xl border border-input bg-card pr-9 pl-3 text-[15px] focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none"
                >
                  {CREATABLE_MODES.map((mode) => (
                    <option key={mode.value} value={mode.value}>
                      {mode.label}
                    </option>
                  ))}
                </select>
                <ChevronDownIcon className="pointer-events-none absolute top-3 right-3 size-5 text-muted-foreground" />
              </div>
            </div>
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
            {groups.length === 0 ? (
              <p className="px-1 text-muted-foreground text-sm">
                {connected ? "No sessions yet. Create one above." : "Sessions appear once connected."}
              </p>
            ) : (
              groups.map((group) => (
                <div key={group.project} className="space-y-1">
                  {groups.length > 1 ? (
                    <h3 className="flex items-center gap-1.5 px-1 pt-2 text-muted-foreground text-xs">
                      <FolderIcon className="size-3.5" />
                      <span className="truncate font-medium">{projectName(group.project)}</span>
                    </h3>
                  ) : null}
                  <ul
                    className="space-y-1"
                    aria-label={groups.length > 1 ? `Sessions in ${projectName(group.project)}` : undefined}
                  >
                    {group.sessions.map((session) => {
                      const current = session.id === currentId;
                      return (
                        <li
                          key={session.id}
                          className={cn(
                            "flex items-center rounded-xl transition-colors",
                            current ? "bg-accent text-accent-foreground" : "hover:bg-muted",
                          )}
                        >
                          <button
                            type="button"
                            aria-current={current ? "true" : undefined}
                            onClick={() => select(session)}
                            className="flex min-w-0 flex-1 items-center gap-3 rounded-xl py-2.5 pl-3 text-left focus-visible:outline-2 focus-visible:outline-ring"
                          >
                            <span className="min-w-0 flex-1">
                              <span className="block truncate font-medium text-[15px]">
                                {session.title || "Untitled"}
                              </span>
                              <span
                                className={cn(
                                  "block truncate text-xs",
                                  current ? "text-accent-foreground/85" : "text-muted-foreground",
                                )}
                              >
                                {session.model} · {relativeAge(session.updatedAt, now)}
                                {session.queued > 0 ? ` · ${session.queued} queued` : ""}
                              </span>
                              {session.pendingPermissions > 0 ? <NeedsApprovalBadge className="mt-1" /> : null}
                            </span>
                            {session.status === "running" && session.pendingPermissions === 0 ? (
                              <span className="inline-flex items-center gap-1 font-medium text-xs">
                                <span
                                  aria-hidden="true"
                                  className="size-2 animate-[pulse-dot_1s_ease-in-out_infinite] rounded-full bg-primary dark:bg-blue-400"
                                />
                                Working
                              </span>
                            ) : null}
                          </button>
                          <Button
                            variant="ghost"
                            size="icon"
                            className="shrink-0 hover:bg-transparent"
                            aria-label={`Settings for ${session.title || "Untitled"}`}
                            onClick={() => onOpenSettings(session.id)}
                          >
                            <MoreIcon />
                          </Button>
                        </li>
                      );
                    })}
                  </ul>
                </div>
              ))
            )}
          </section>
        </div>

        <footer className="space-y-3 border-t px-4 pt-3 pb-[max(env(safe-area-inset-bottom),0.75rem)]">
          <Segmented label="Theme" value={theme} options={THEME_OPTIONS} onChange={onThemeChange} />
          <Button
            variant="outline"
            className="w-full justify-start"
            aria-haspopup="dialog"
            onClick={onOpenNotifications}
          >
            <BellIcon />
            Notifications
          </Button>
          {connection.serverVersion ? (
            <p className="text-muted-foreground text-xs">Server {connection.serverVersion}</p>
          ) : null}
        </footer>
      </SheetContent>
    </Sheet>
  );
}
