/**
 * Syntax colouring for the file viewer and the conversation's code blocks, in its own lazy chunk
 * (decision 046): a small tokenizer
 * (comments, strings, numbers, keywords) per family of languages, not a grammar engine. It is
 * wrong on some corner cases (a regex literal holding a quote) and never throws: the worst case
 * is a wrongly coloured span, the text is always exactly the file's.
 */

export type TokenKind = "comment" | "string" | "number" | "keyword" | "plain";
export interface Token {
  text: string;
  kind: TokenKind;
}

interface Language {
  line: string[];
  block: [string, string] | null;
  quotes: string[];
  keywords: Set<string>;
}

const words = (list: string) => new Set(list.split(" "));

const C_LIKE =
  "if else for while do switch case default break continue return function const let var class extends new this super import export from as async await try catch finally throw typeof instanceof in of void null undefined true false interface type enum implements public private protected static readonly abstract yield delete with package func go defer struct map chan select range fn impl trait pub use mod match mut loop where crate self Self int long short char float double bool boolean string void unsigned signed sizeof namespace template typename using auto nil";
const PYTHON =
  "def class if elif else for while in not and or is return import from as with try except finally raise pass break continue lambda yield global nonlocal assert del True False None async await self";
const SHELL =
  "if then else elif fi for while do done case esac in function return export local readonly echo exit set unset";
const RUBY =
  "def end class module if elsif else unless while until for in do return yield begin rescue ensure nil true false self require";

const LANGUAGES: Record<string, Language> = {
  c: { line: ["//"], block: ["/*", "*/"], quotes: ['"', "'", "`"], keywords: words(C_LIKE) },
  python: { line: ["#"], block: null, quotes: ['"', "'"], keywords: words(PYTHON) },
  shell: { line: ["#"], block: null, quotes: ['"', "'"], keywords: words(SHELL) },
  ruby: { line: ["#"], block: null, quotes: ['"', "'"], keywords: words(RUBY) },
  css: { line: [], block: ["/*", "*/"], quotes: ['"', "'"], keywords: words("important media import from to") },
  data: { line: ["#"], block: null, quotes: ['"', "'"], keywords: words("true false null yes no on off") },
  json: { line: [], block: null, quotes: ['"'], keywords: words("true false null") },
  html: { line: [], block: ["<!--", "-->"], quotes: ['"', "'"], keywords: new Set() },
  sql: {
    line: ["--"],
    block: ["/*", "*/"],
    quotes: ["'", '"'],
    keywords: words(
      "select from where insert into update delete create table index join left right inner on and or not null as order by group limit values set primary key SELECT FROM WHERE INSERT INTO UPDATE DELETE CREATE TABLE INDEX JOIN ON AND OR NOT NULL AS ORDER BY GROUP LIMIT VALUES SET PRIMARY KEY",
    ),
  },
};

const BY_EXTENSION: Record<string, keyof typeof LANGUAGES> = {
  js: "c",
  jsx: "c",
  mjs: "c",
  cjs: "c",
  ts: "c",
  tsx: "c",
  mts: "c",
  go: "c",
  rs: "c",
  java: "c",
  kt: "c",
  swift: "c",
  c: "c",
  h: "c",
  cc: "c",
  cpp: "c",
  hpp: "c",
  cs: "c",
  php: "c",
  dart: "c",
  scala: "c",
  py: "python",
  sh: "shell",
  bash: "shell",
  zsh: "shell",
  rb: "ruby",
  css: "css",
  scss: "css",
  yml: "data",
  yaml: "data",
  toml: "data",
  ini: "data",
  conf: "data",
  env: "data",
  json: "json",
  jsonc: "c",
  html: "html",
  xml: "html",
  svg: "html",
  vue: "html",
  sql: "sql",
};

/** The language family for a file name, or null when it is plain text (Markdown, text, unknown). */
export function languageOf(path: string): keyof typeof LANGUAGES | null {
  const name = path.split("/").pop() ?? "";
  if (name === "Dockerfile" || name === "Makefile") return "shell";
  const extension = name.includes(".") ? (name.split(".").pop() ?? "").toLowerCase() : "";
  return BY_EXTENSION[extension] ?? null;
}

/** A fenced code block's language (```ts, ```python, ```bash…) as the file name it would have. */
const FENCE_EXTENSIONS: Record<string, string> = {
  typescript: "ts",
  javascript: "js",
  python: "py",
  shell: "sh",
  console: "sh",
  zsh: "sh",
  rust: "rs",
  kotlin: "kt",
  "c++": "cpp",
  csharp: "cs",
  ruby: "rb",
  golang: "go",
  yml: "yaml",
};

/** A code block's text as lines of tokens, by its fence's language (plain when unknown). */
export function highlightFence(code: string, fence: string): Token[][] {
  const name = fence.trim().toLowerCase();
  const path = name === "dockerfile" || name === "makefile" ? fence : `block.${FENCE_EXTENSIONS[name] ?? name}`;
  return highlight(code, path);
}

/** The file as lines of tokens (a comment or string spanning lines is split at each line end). */
export function highlight(text: string, path: string): Token[][] {
  const family = languageOf(path);
  if (!family) return text.split("\n").map((line) => [{ text: line, kind: "plain" }]);
  const lang = LANGUAGES[family] as Language;
  const tokens: Token[] = [];
  let plain = "";
  const flush = () => {
    if (plain) tokens.push({ text: plain, kind: "plain" });
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const rest = (marker: string) => text.startsWith(marker, i);
    const lineMarker = lang.line.find(rest);
    if (lineMarker) {
      flush();
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      tokens.push({ text: text.slice(i, stop), kind: "comment" });
      i = stop;
      continue;
    }
    if (lang.block && rest(lang.block[0])) {
      flush();
      const end = text.indexOf(lang.block[1], i + lang.block[0].length);
      const stop = end === -1 ? text.length : end + lang.block[1].length;
      tokens.push({ text: text.slice(i, stop), kind: "comment" });
      i = stop;
      continue;
    }
    const char = text[i] as string;
    if (lang.quotes.includes(char)) {
      flush();
      let j = i + 1;
      while (j < text.length && text[j] !== char) {
        if (text[j] === "\\") j++;
        // Only backticks (template strings) span lines; an unclosed quote ends at the line's end.
        else if (text[j] === "\n" && char !== "`") break;
        j++;
      }
      const stop = Math.min(text.length, text[j] === char ? j + 1 : j);
      tokens.push({ text: text.slice(i, stop), kind: "string" });
      i = stop;
      continue;
    }
    const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(i, i + 64));
    if (word) {
      const value = word[0];
      if (lang.keywords.has(value)) {
        flush();
        tokens.push({ text: value, kind: "keyword" });
      } else plain += value;
      i += value.length;
      continue;
    }
    const number = /^\d[\d_]*(\.\d+)?([eE][+-]?\d+)?|^0x[\da-fA-F]+/.exec(text.slice(i, i + 64));
    if (number && !/[\w$]/.test(text[i - 1] ?? "")) {
      flush();
      tokens.push({ text: number[0], kind: "number" });
      i += number[0].length;
      continue;
    }
    plain += char;
    i++;
  }
  flush();
  return splitLines(tokens);
}

function splitLines(tokens: Token[]): Token[][] {
  const lines: Token[][] = [[]];
  for (const token of tokens) {
    const pieces = token.text.split("\n");
    pieces.forEach((piece, index) => {
      if (index > 0) lines.push([]);
      if (piece) (lines[lines.length - 1] as Token[]).push({ text: piece, kind: token.kind });
    });
  }
  return lines;
}
