/** Claude Code's permission modes as the app names them (the values are the protocol's `PermissionMode`). */
import type { PermissionMode } from "../../shared/messages.ts";
import type { CreatablePermissionMode } from "../chat/types.ts";

export interface PermissionModeInfo<M extends PermissionMode = PermissionMode> {
  value: M;
  label: string;
  description: string;
  /** Needs an explicit confirmation, shown in red. */
  dangerous: boolean;
}

export const PERMISSION_MODES: readonly PermissionModeInfo[] = [
  {
    value: "default",
    label: "Ask before edits and commands",
    description: "Claude asks you before it changes a file or runs a command.",
    dangerous: false,
  },
  {
    value: "acceptEdits",
    label: "Auto-accept file edits",
    description: "File edits go ahead without asking; commands still ask.",
    dangerous: false,
  },
  {
    value: "plan",
    label: "Plan only, change nothing",
    description: "Claude reads and proposes a plan, but edits and runs nothing.",
    dangerous: false,
  },
  {
    value: "bypassPermissions",
    label: "Skip all permission checks",
    description: "Everything runs without asking, including commands that delete or overwrite.",
    dangerous: true,
  },
];

/** The modes a new session may start in (skipping checks is only switched on later, with a confirmation). */
export const CREATABLE_MODES = PERMISSION_MODES.filter(
  (mode): mode is PermissionModeInfo<CreatablePermissionMode> => mode.value !== "bypassPermissions",
);

export function permissionModeInfo(mode: PermissionMode): PermissionModeInfo {
  return PERMISSION_MODES.find((m) => m.value === mode) ?? (PERMISSION_MODES[0] as PermissionModeInfo);
}

export function isCreatableMode(value: string): value is CreatablePermissionMode {
  return CREATABLE_MODES.some((mode) => mode.value === value);
}
