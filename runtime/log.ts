/**
 * Structured logging: one JSON object per line. `taskbeat serve` writes to stdout, where Kubernetes and
 * its log collectors expect it; everything else (the CLI's commands, `taskbeat start`, and `taskbeat mcp`,
 * whose stdout is the MCP protocol) writes to stderr, so stdout stays free for output
 * (`taskbeat users create … | tail -n1` must see only the token). A request's logger (`ctx.log`, made by
 * `tracedLogger`) writes its `trace_id` and `span_id` on every line (runtime/trace.ts). Errors are fields
 * of that one line, never a plain-text stack trace of their own.
 */
import { type Span, traceFields } from "./trace.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to `stream`. */
  write?: (line: string) => void;
  /** Defaults to stderr; `taskbeat serve` uses stdout. */
  stream?: "stdout" | "stderr";
  base?: LogFields;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = rank[options.level ?? "info"];
  const out = options.stream === "stdout" ? process.stdout : process.stderr;
  const write = options.write ?? ((line: string) => out.write(`${line}\n`));
  const base = options.base ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (rank[level] < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }, errorReplacer));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** The logger of one request: every line carries the span's `trace_id` and `span_id`. */
export const tracedLogger = (log: Logger, span: Span): Logger => log.child(traceFields(span));

/** A logger that discards everything; for tests and benchmarks that measure other things. */
export const silentLogger: Logger = createLogger({ write: () => {} });

// Errors serialise to {} by default; keep their name, message, code and stack in logs (never in answers).
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const { name, message, stack } = value;
    const code = (value as { code?: unknown }).code;
    return { name, message, ...(code === undefined ? {} : { code }), stack };
  }
  return value;
}
