import { expect, test } from "bun:test";
import { alwaysAllowScope } from "./scope.ts";

const rules = (...list: { toolName: string; ruleContent?: string }[]) => ({
  type: "addRules",
  rules: list,
  behavior: "allow",
  destination: "localSettings",
});

test.each([
  [[rules({ toolName: "Bash", ruleContent: "npm test:*" })], "commands starting with `npm test`, in this session"],
  [[rules({ toolName: "Bash", ruleContent: "git status" })], "the command `git status`, in this session"],
  [[rules({ toolName: "Edit", ruleContent: "src/**" })], "edits to `src/**`, in this session"],
  [[rules({ toolName: "WebFetch", ruleContent: "domain:example.com" })], "fetching example.com, in this session"],
  [[rules({ toolName: "Bash" })], "every Bash use, in this session"],
  [
    [{ type: "addDirectories", directories: ["/srv/data"], destination: "session" }],
    "working in `/srv/data`, in this session",
  ],
])("%j → %s", (suggestions, scope) => {
  expect(alwaysAllowScope(suggestions)).toBe(scope);
});

test("nothing the session would remember: no scope, so no Always allow", () => {
  expect(alwaysAllowScope([])).toBeNull();
  expect(alwaysAllowScope([{ type: "setMode", mode: "acceptEdits", destination: "session" }])).toBeNull();
  expect(alwaysAllowScope([{ ...rules({ toolName: "Bash" }), behavior: "deny" }])).toBeNull();
  expect(alwaysAllowScope(["junk", null, 3])).toBeNull();
});
