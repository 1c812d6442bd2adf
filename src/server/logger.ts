/**
 * One logger per service, its name in every line. Lines go to stderr as
 * `time level [name] message {json}` so they read well in a terminal and grep
 * well in a file. Secrets (the access token) must never be passed in.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: LogLevel = (process.env.POCKET_LOG_LEVEL as LogLevel | undefined) ?? "info";
let sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

/** Replace the output (tests capture it to prove what is and is not logged). */
export function setLogSink(next: (line: string) => void): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(name: string): Logger {
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[threshold]) return;
    const extra = fields ? ` ${JSON.stringify(fields)}` : "";
    sink(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${name}] ${message}${extra}`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}
