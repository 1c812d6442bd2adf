import { describe, expect, test } from "bun:test";
import { CREATABLE_MODES, isCreatableMode, PERMISSION_MODES, permissionModeInfo } from "./permissionModes.ts";

describe("permission modes", () => {
  test("every protocol mode has its label; only bypass is dangerous and it cannot start a session", () => {
    expect(PERMISSION_MODES.map((m) => [m.value, m.label, m.dangerous])).toEqual([
      ["default", "Ask before edits and commands", false],
      ["acceptEdits", "Auto-accept file edits", false],
      ["plan", "Plan only, change nothing", false],
      ["bypassPermissions", "Skip all permission checks", true],
    ]);
    expect(CREATABLE_MODES.map((m) => m.value)).toEqual(["default", "acceptEdits", "plan"]);
    expect(isCreatableMode("plan")).toBe(true);
    expect(isCreatableMode("bypassPermissions")).toBe(false);
    expect(permissionModeInfo("acceptEdits").label).toBe("Auto-accept file edits");
  });
});
