// Structured JSON logs: one line per event, never a secret. LOG_LEVEL sets the threshold.
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: LogLevel = "info";

/** Called once per request with the LOG_LEVEL setting (a module-level value: logs have no env). */
export function setLogLevel(level: string | undefined): void {
  if (level && level in RANK) threshold = level as LogLevel;
}

/**
 * Credentials that travel in URLs (`?token=` of API WebSocket clients, the widget's `?ticket=`) are
 * cut out of every line, whichever field carries them: a URL in an error message or a stack too.
 */
export function redactSecrets(text: string): string {
  // Applied to the JSON line: an escaped character (\n, \") ends the value as well.
  return text.replace(/([?&](?:token|ticket)=)[^&\s"#\\]*/gi, "$1[redacted]");
}

export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  if (RANK[level] < RANK[threshold]) return;
  const line = redactSecrets(JSON.stringify({ timestamp: new Date().toISOString(), level, service: "edgecoach", message, ...fields }));
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
