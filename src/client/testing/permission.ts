import type { TurnPermission } from "../chat/turns.ts";

/** A pending permission request as the turns derive it, for tests; `extra` overrides any field. */
export function testPermission(
  toolName: string,
  input: Record<string, unknown>,
  extra: Partial<TurnPermission> = {},
): TurnPermission {
  return {
    permissionId: crypto.randomUUID(),
    toolName,
    input,
    toolUseId: null,
    title: null,
    description: null,
    decisionReason: null,
    blockedPath: null,
    rule: null,
    status: "pending",
    resolutionMessage: null,
    answers: null,
    seq: 1,
    ...extra,
  };
}
