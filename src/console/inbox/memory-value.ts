// A memory's value as the agent reads and types it (pure, unit-tested).

/** A memory's value as the agent reads and types it: text stays text, anything else is JSON. */
export const showValue = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
export function parseValue(text: string): unknown {
  try {
    const v = JSON.parse(text);
    return typeof v === "object" || typeof v === "number" || typeof v === "boolean" ? v : text;
  } catch {
    return text;
  }
}
