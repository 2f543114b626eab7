// The prompt compiler (ai-chat-app spec "Prompt Engineering APIs"): a prompt with {{parameters}} becomes
// a JSON-Schema form, values are checked and substituted, and values can be read out of free text —
// by an LLM where one is configured, by deterministic parsing otherwise (the response says which ran).
import { AppError } from "../../lib/errors";

/** `{{name}}`, `{{name:number}}`, `{{name=default}}`, `{{name:integer=3}}`, `{{level:enum(beginner|advanced)}}`. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*(string|number|integer|boolean|enum\(([^)]*)\))\s*)?(?:=\s*([^}]*?)\s*)?\}\}/g;

export type ParamType = "string" | "number" | "integer" | "boolean";

export interface Parameter {
  name: string;
  type: ParamType;
  enum?: string[];
  default?: string | number | boolean;
}

export interface JsonSchemaForm {
  $schema: string;
  type: "object";
  title: string;
  properties: Record<string, { type: ParamType; title: string; enum?: string[]; default?: unknown }>;
  required: string[];
  additionalProperties: false;
}

function coerce(p: Parameter, raw: unknown): string | number | boolean | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (p.enum) {
    const s = String(raw).trim();
    return p.enum.find((e) => e.toLowerCase() === s.toLowerCase());
  }
  switch (p.type) {
    case "number": {
      const n = typeof raw === "number" ? raw : Number(String(raw).replace(/,/g, "").match(/-?\d+(?:\.\d+)?/)?.[0] ?? NaN);
      return Number.isFinite(n) ? n : undefined;
    }
    case "integer": {
      const n = typeof raw === "number" ? raw : Number(String(raw).match(/-?\d+/)?.[0] ?? NaN);
      return Number.isInteger(n) ? n : undefined;
    }
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      const s = String(raw).trim().toLowerCase();
      if (["true", "yes", "y", "1", "on"].includes(s)) return true;
      if (["false", "no", "n", "0", "off"].includes(s)) return false;
      return undefined;
    }
    default:
      return String(raw).trim();
  }
}

/** The prompt's parameters, in order of first appearance; a name declared twice with different types is a 422. */
export function parseParameters(prompt: string): Parameter[] {
  const found = new Map<string, Parameter>();
  for (const m of prompt.matchAll(PLACEHOLDER)) {
    const [, name, rawType, enumList, rawDefault] = m;
    const isEnum = rawType?.startsWith("enum(");
    const p: Parameter = { name: name!, type: isEnum ? "string" : ((rawType as ParamType | undefined) ?? "string") };
    if (isEnum) {
      p.enum = enumList!.split("|").map((s) => s.trim()).filter(Boolean);
      if (!p.enum.length) throw new AppError("VALIDATION_ERROR", `Parameter "${name}" has an empty enum`, [{ field: "prompt", message: `{{${name}:enum()}} lists no values` }]);
    }
    if (rawDefault !== undefined && rawDefault !== "") {
      const d = coerce(p, rawDefault);
      if (d === undefined) throw new AppError("VALIDATION_ERROR", `The default of "${name}" is not a ${p.enum ? "listed value" : p.type}`, [{ field: "prompt", message: `{{${name}}} default "${rawDefault}"` }]);
      p.default = d;
    }
    const before = found.get(p.name);
    if (before) {
      if (before.type !== p.type || JSON.stringify(before.enum) !== JSON.stringify(p.enum)) {
        throw new AppError("VALIDATION_ERROR", `Parameter "${p.name}" is declared with two types`, [{ field: "prompt", message: `{{${p.name}}} is ${before.type} and ${p.type}` }]);
      }
      if (before.default === undefined && p.default !== undefined) before.default = p.default;
      continue;
    }
    found.set(p.name, p);
  }
  if (/\{\{(?![^{}]*\}\})/.test(prompt.replace(PLACEHOLDER, ""))) {
    throw new AppError("VALIDATION_ERROR", "The prompt has an unclosed or malformed {{placeholder}}", [{ field: "prompt", message: "placeholders are {{name}}, {{name:type}}, {{name=default}}" }]);
  }
  const leftover = /\{\{([^}]*)\}\}/.exec(prompt.replace(PLACEHOLDER, ""));
  if (leftover) throw new AppError("VALIDATION_ERROR", `"{{${leftover[1]}}}" is not a valid placeholder`, [{ field: "prompt", message: "names are letters, digits and _; types string, number, integer, boolean, enum(a|b)" }]);
  return [...found.values()];
}

/** The template with every placeholder written the one canonical way ({{name}}), trimmed. */
export function canonicalPrompt(prompt: string): string {
  return prompt.replace(PLACEHOLDER, (_m, name: string) => `{{${name}}}`).replace(/[ \t]+\n/g, "\n").trim();
}

export function formSchema(params: Parameter[], title = "Prompt parameters"): JsonSchemaForm {
  const properties: JsonSchemaForm["properties"] = {};
  for (const p of params) {
    properties[p.name] = {
      type: p.type,
      title: p.name.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase()),
      ...(p.enum ? { enum: p.enum } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
    };
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    title,
    properties,
    required: params.filter((p) => p.default === undefined).map((p) => p.name),
    additionalProperties: false,
  };
}

/** Values checked against the parameters (422 naming each bad or missing one) and substituted. */
export function compile(prompt: string, values: Record<string, unknown>, { partial = false } = {}): { compiled: string; values: Record<string, string | number | boolean>; missing: string[] } {
  const params = parseParameters(prompt);
  const known = new Set(params.map((p) => p.name));
  const details = Object.keys(values).filter((k) => !known.has(k)).map((k) => ({ field: `parameters.${k}`, message: "not a parameter of the prompt" }));
  const resolved: Record<string, string | number | boolean> = {};
  const missing: string[] = [];
  for (const p of params) {
    const raw = values[p.name];
    const v = raw === undefined ? p.default : coerce(p, raw);
    if (raw !== undefined && v === undefined) details.push({ field: `parameters.${p.name}`, message: p.enum ? `one of ${p.enum.join(", ")}` : `a ${p.type}` });
    else if (v === undefined) missing.push(p.name);
    else resolved[p.name] = v;
  }
  if (!partial) for (const m of missing) details.push({ field: `parameters.${m}`, message: "required" });
  if (details.length) throw new AppError("VALIDATION_ERROR", "The parameters don't fit the prompt", details);
  const compiled = prompt.replace(PLACEHOLDER, (whole, name: string) => (name in resolved ? String(resolved[name]) : whole));
  return { compiled: canonicalPrompt(compiled), values: resolved, missing };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Deterministic extraction: "name: value", "name = value", "name is value" (the name with _ read as
 * space, any case), a value up to the end of its clause; enums also match by their value alone.
 */
export function extractDeterministic(params: Parameter[], text: string): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const p of params) {
    const label = p.name.split("_").map(escapeRe).join("[ _-]?");
    const m = new RegExp(`\\b${label}\\b\\s*(?::|=|\\bis\\b|\\bof\\b)\\s*([^\\n,;.]+(?:\\.\\d+)?)`, "i").exec(text);
    let v = m ? coerce(p, m[1]!.trim()) : undefined;
    if (v === undefined && p.enum) v = p.enum.find((e) => new RegExp(`\\b${escapeRe(e)}\\b`, "i").test(text));
    if (v !== undefined) out[p.name] = v;
  }
  return out;
}

export const EXTRACTION_MARKER = "PARAMETER_EXTRACTION";

/** The LLM's instructions for extraction; its reply must be one JSON object. */
export function extractionPrompt(params: Parameter[]): string {
  const fields = params.map((p) => `- ${p.name} (${p.enum ? `one of ${p.enum.join(", ")}` : p.type})${p.default !== undefined ? ` default ${p.default}: only if the text states it` : ""}`).join("\n");
  return `${EXTRACTION_MARKER}\nRead the user's text and return ONLY a JSON object with the values it states for these fields; leave out any field the text doesn't state. Never invent values.\n${fields}`;
}

/** The LLM's reply, checked: JSON object, only known fields, each coerced to its type (others dropped). */
export function parseExtraction(params: Parameter[], reply: string): Record<string, string | number | boolean> | undefined {
  const json = /\{[\s\S]*\}/.exec(reply)?.[0];
  if (!json) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const p of params) {
    const v = coerce(p, (parsed as Record<string, unknown>)[p.name]);
    if (v !== undefined) out[p.name] = v;
  }
  return out;
}
