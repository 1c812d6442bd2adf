import type { Database } from "bun:sqlite";
import { realpathSync } from "node:fs";
import { dirname } from "node:path";
import { type AllowScope, editedPath, isInside, type RuleShape, ruleAllows, ruleFor } from "../../shared/allowRules.ts";
import type { AllowRule } from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";

interface Row {
  id: string;
  session_id: string;
  tool_name: string;
  kind: AllowRule["kind"];
  content: string | null;
  created_at: string;
}

const toRule = (row: Row): AllowRule => ({
  id: row.id,
  toolName: row.tool_name,
  kind: row.kind,
  ...(row.content !== null ? { content: row.content } : {}),
  createdAt: row.created_at,
});

/** The real path of `path`'s deepest existing ancestor, with the rest appended (a new file's folder may not exist yet). */
function realPathOf(path: string): string | null {
  let existing = path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(existing);
      return rest.length ? `${real === "/" ? "" : real}/${rest.reverse().join("/")}` : real;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return null;
      rest.push(existing.slice(parent === "/" ? 1 : parent.length + 1));
      existing = parent;
    }
  }
}

/**
 * "Always allow" rules, kept per session in SQLite (decision 034). The server answers a request a
 * rule allows itself, so the CLI is never handed a rule it would keep after a revoke.
 */
export class AllowRules {
  private readonly q;

  constructor(db: Database) {
    this.q = {
      insert: db.query(
        `INSERT INTO allow_rules (id, session_id, tool_name, kind, content, created_at)
         VALUES ($id, $sessionId, $toolName, $kind, $content, $createdAt)`,
      ),
      bySession: db.query<Row, [string]>("SELECT * FROM allow_rules WHERE session_id = ? ORDER BY created_at, rowid"),
      remove: db.query<Row, [string, string]>("DELETE FROM allow_rules WHERE session_id = ? AND id = ? RETURNING *"),
    };
  }

  list(sessionId: string): AllowRule[] {
    return this.q.bySession.all(sessionId).map(toRule);
  }

  /**
   * Remembers the scope the user chose for this request (or the narrowest one it offers). The
   * same rule twice is kept once.
   */
  add(
    sessionId: string,
    ask: { toolName: string; input: Record<string, unknown> },
    cwd: string,
    scope: AllowScope,
  ): AllowRule {
    const made = ruleFor(ask.toolName, ask.input, cwd, scope);
    if ("refused" in made) throw new PocketError("INVALID_PAYLOAD", made.refused);
    const same = this.list(sessionId).find(
      (rule) =>
        rule.toolName === made.rule.toolName && rule.kind === made.rule.kind && rule.content === made.rule.content,
    );
    if (same) return same;
    const rule: AllowRule = {
      id: crypto.randomUUID(),
      ...made.rule,
      createdAt: new Date().toISOString(),
    };
    this.q.insert.run({
      id: rule.id,
      sessionId,
      toolName: rule.toolName,
      kind: rule.kind,
      content: rule.content ?? null,
      createdAt: rule.createdAt,
    });
    return rule;
  }

  revoke(sessionId: string, ruleId: string): void {
    if (!this.q.remove.get(sessionId, ruleId)) throw new PocketError("RULE_NOT_FOUND");
  }

  /** The rule that allows this tool use, if any. A folder rule also holds once symbolic links are followed. */
  allowing(sessionId: string, toolName: string, input: Record<string, unknown>, cwd: string): AllowRule | null {
    for (const rule of this.list(sessionId)) {
      if (!ruleAllows(rule as RuleShape, toolName, input, cwd)) continue;
      if (rule.kind === "folder" && !this.realPathInside(rule.content ?? "/", input, cwd)) continue;
      return rule;
    }
    return null;
  }

  private realPathInside(folder: string, input: Record<string, unknown>, cwd: string): boolean {
    const path = editedPath(input, cwd);
    const realFolder = realPathOf(folder);
    const realPath = path ? realPathOf(path) : null;
    return realFolder !== null && realPath !== null && isInside(realFolder, realPath);
  }
}
