import type { CreatablePermissionMode } from "../chat/types.ts";
import { useChatSelector } from "../chat/useChat.ts";
import { projectName } from "../projects/names.ts";
import { Button } from "../ui/button.tsx";
import { ChevronRightIcon, PlusIcon } from "../ui/icons.tsx";
import { SelectField } from "../ui/SelectField.tsx";
import { Sheet, SheetContent } from "../ui/sheet.tsx";
import { FolderIcon } from "../ui/sheetIcons.tsx";
import { Segmented } from "../ui/toggle-group.tsx";
import { CREATABLE_MODES, isCreatableMode } from "./permissionModes.ts";
import { MODELS, type ModelChoice } from "./preferences.ts";

export interface NewSessionSheetProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  model: ModelChoice;
  onModelChange: (model: ModelChoice) => void;
  permissionMode: CreatablePermissionMode;
  onPermissionModeChange: (mode: CreatablePermissionMode) => void;
  /** Where new sessions start on the chosen machine (this device's choice); null: its first root. */
  project: string | null;
  onOpenProjects: () => void;
  /** The machine new sessions run on (`local`: this server). */
  machineId: string;
  onMachineChange: (machineId: string) => void;
  onCreate: () => void;
}

const modelLabel = (model: ModelChoice) => model[0]?.toUpperCase() + model.slice(1);
const MODEL_OPTIONS = MODELS.map((model) => ({ value: model, label: modelLabel(model) }));

/** Where and how a new session starts: a small sheet over the list, so the list comes first. */
export function NewSessionSheet(props: NewSessionSheetProps) {
  const { open, onOpenChange, model, onModelChange, permissionMode, onPermissionModeChange, project } = props;
  const machines = useChatSelector((s) => s.context.machines);
  // A machine that is gone from the list (unlinked) is no choice: new sessions go to this server.
  const machine = machines.find((m) => m.id === props.machineId) ?? null;
  const remote = machine !== null && machine.id !== "local";
  const connection = useChatSelector((s) => s.context.connection);
  const creating = useChatSelector((s) => s.matches({ connected: { session: "creating" } }));
  const connected = connection.status === "connected";

  return (
    <Sheet open={open} onOpenChange={onOpenChange}>
      <SheetContent side="bottom" stacked title="New session" description="Where the agent works, and how">
        <div className="space-y-3 overflow-y-auto px-4 pt-4 pb-4">
          {machines.length > 1 ? (
            <SelectField label="Machine" value={machine?.id ?? "local"} onChange={props.onMachineChange}>
              {machines.map((m) => (
                <option key={m.id} value={m.id} disabled={m.status !== "online"}>
                  {m.id === "local"
                    ? `${m.name} (this server)`
                    : m.status === "online"
                      ? m.name
                      : `${m.name} (offline)`}
                </option>
              ))}
            </SelectField>
          ) : null}
          <button
            type="button"
            onClick={props.onOpenProjects}
            aria-label={`Project: ${project ? projectName(project) : `${remote ? `${machine.name}'s` : "the server's"} default folder`}. Choose a project or continue a session from the desk`}
            className="flex min-h-11 w-full items-center gap-3 rounded-xl border border-input bg-card px-3 py-2 text-left focus-visible:outline-2 focus-visible:outline-ring"
          >
            <FolderIcon className="size-5 shrink-0 text-muted-foreground" />
            <span className="min-w-0 flex-1">
              <span className="block text-muted-foreground text-xs">
                {remote ? `Project on ${machine.name}` : "Project"}
              </span>
              <span className="block truncate font-medium text-[15px]">
                {project ? projectName(project) : "Default folder"}
              </span>
            </span>
            <ChevronRightIcon className="size-4 shrink-0 text-muted-foreground" />
          </button>
          <Segmented label="Model" value={model} options={MODEL_OPTIONS} onChange={onModelChange} />
          <SelectField
            label="Permissions"
            value={permissionMode}
            onChange={(value) => {
              if (isCreatableMode(value)) onPermissionModeChange(value);
            }}
          >
            {CREATABLE_MODES.map((mode) => (
              <option key={mode.value} value={mode.value}>
                {mode.label}
              </option>
            ))}
          </SelectField>
          <Button
            className="w-full"
            onClick={props.onCreate}
            disabled={!connected || creating || (remote && machine.status !== "online")}
          >
            <PlusIcon />
            {creating ? "Creating…" : `Create ${modelLabel(model)} session`}
          </Button>
          {connected ? null : <p className="text-muted-foreground text-sm">Sessions can be created once connected.</p>}
        </div>
      </SheetContent>
    </Sheet>
  );
}
