/** The one line a resolved approval shows in the conversation (kept apart from approval.ts and its diff code). */
import { describeRule } from "../../shared/ruleWords.ts";
import { oneLine } from "../chat/activity.ts";
import type { TurnPermission } from "../chat/turns.ts";

/**
 * The resolved card's one line: "Allowed", "Answered: SQLite", "Denied: reason", "Always allowed:
 * commands starting with npm test", "Cancelled".
 */
export function resolutionText(
  permission: Pick<TurnPermission, "status" | "resolutionMessage" | "toolName"> & {
    answers?: TurnPermission["answers"];
    rule?: TurnPermission["rule"];
  },
  cwd = "",
): string {
  const reason = permission.resolutionMessage?.trim();
  switch (permission.status) {
    case "allow": {
      if (permission.toolName !== "AskUserQuestion") return "Allowed";
      const chosen = Object.values(permission.answers ?? {}).filter((label) => label.trim() !== "");
      return chosen.length ? `Answered: ${oneLine(chosen.join("; "), 200)}` : "Answered";
    }
    case "allow_always": {
      if (!permission.rule) return "Always allowed";
      const rule = describeRule(permission.rule, cwd).replaceAll("`", "");
      return `Always allowed: ${rule.charAt(0).toLowerCase()}${rule.slice(1)}`;
    }
    case "deny":
      return reason ? `Denied: ${oneLine(reason, 200)}` : "Denied";
    case "cancelled":
      return "Cancelled";
    case "pending":
      return "Waiting for you";
    default: {
      const unreachable: never = permission.status;
      return unreachable;
    }
  }
}
