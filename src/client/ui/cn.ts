/**
 * Joins class names, skipping falsy ones; of two classes that set the same thing (two heights,
 * two corner radii, two text colours under the same variant such as `hover:`), the later one wins.
 *
 * Tailwind orders its CSS by utility, not by the order of the class attribute, so with plain
 * concatenation `rounded-xl rounded-full` is whatever the stylesheet says: a component's
 * `className` could not override its variant's look (the round Send button came out square).
 * tailwind-merge does this for every utility but costs 8.4 KB gzip on the first screen and builds
 * its tables at start-up (decision 007); this covers the groups the app's components set and
 * override. A class in no group is kept as it is.
 */

// Classes that are a whole group by themselves.
const WHOLE: Record<string, string> = {
  block: "display",
  "inline-block": "display",
  inline: "display",
  flex: "display",
  "inline-flex": "display",
  grid: "display",
  "inline-grid": "display",
  hidden: "display",
  contents: "display",
  static: "position",
  fixed: "position",
  absolute: "position",
  relative: "position",
  sticky: "position",
  border: "border-width",
};

const TEXT_SIZE = /^text-(xs|sm|base|lg|\d?xl|\[[\d.]+(px|rem|em)\])$/;
const TEXT_ALIGN = /^text-(left|center|right|justify|start|end)$/;
const FONT_WEIGHT = /^font-(thin|extralight|light|normal|medium|semibold|bold|extrabold|black)$/;
const BORDER_WIDTH = /^border-(\d+|[xytrbl](-\d+)?)$/;
// Longer names first: `min-w` before `m`, `px` before `p`, `rounded-t` before `rounded`.
const BY_PREFIX =
  /^(min-w|max-w|min-h|max-h|size|h|w|px|py|pt|pr|pb|pl|p|mx|my|mt|mr|mb|ml|m|gap-x|gap-y|gap|bg|opacity|shadow|rounded-(?:tl|tr|br|bl|t|r|b|l)|rounded|border)(?:-|$)/;

function utilityGroup(utility: string): string | null {
  const whole = WHOLE[utility];
  if (whole) return whole;
  if (utility.startsWith("text-")) {
    if (TEXT_SIZE.test(utility)) return "text-size";
    return TEXT_ALIGN.test(utility) ? "text-align" : "text-color";
  }
  if (FONT_WEIGHT.test(utility)) return "font-weight";
  if (BORDER_WIDTH.test(utility)) return "border-width";
  const match = BY_PREFIX.exec(utility);
  if (!match) return null;
  // What is left of `border-…` here is its colour.
  return match[1] === "border" ? "border-color" : (match[1] ?? null);
}

/** `hover:bg-muted` → `hover:` + the group of `bg-muted`; null when the class is in no group. */
function groupOf(className: string): string | null {
  let depth = 0;
  let split = -1;
  for (let i = 0; i < className.length; i++) {
    const char = className[i];
    if (char === "[") depth++;
    else if (char === "]") depth--;
    else if (char === ":" && depth === 0) split = i;
  }
  const group = utilityGroup(className.slice(split + 1));
  return group === null ? null : className.slice(0, split + 1) + group;
}

export function cn(...classes: Array<string | false | null | undefined>): string {
  const tokens = classes.filter(Boolean).join(" ").split(/\s+/).filter(Boolean);
  const groups = tokens.map(groupOf);
  const last = new Map<string, number>();
  groups.forEach((group, index) => {
    if (group !== null) last.set(group, index);
  });
  return tokens
    .filter((_, index) => {
      const group = groups[index] ?? null;
      return group === null || last.get(group) === index;
    })
    .join(" ");
}
