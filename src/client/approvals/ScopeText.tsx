/** A scope's or rule's words (src/shared/allowRules.ts): the parts in backticks are commands or paths. */
export function ScopeText({ text }: { text: string }) {
  return text.split("`").map((part, index) => {
    const key = `${index}:${part}`;
    return index % 2 === 1 ? (
      <code key={key} className="rounded bg-muted [overflow-wrap:anywhere] px-1 font-mono text-[12px] text-foreground">
        {part}
      </code>
    ) : (
      <span key={key}>{part}</span>
    );
  });
}
