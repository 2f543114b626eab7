// WhatsApp template messages: the one schema creators use to name an approved template (rules,
// program steps, the messages API), how a stored message carries it, and its Graph API body.
import { z } from "@hono/zod-openapi";

/** Meta's template names: lower-case letters, digits and underscores. */
const NAME = /^[a-z0-9_]{1,512}$/;
/** Meta's language codes: `en`, `fil`, `en_US`, `pt_BR`, … */
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/;
// A template's body holds at most 1024 characters in all (Meta), so no single parameter can be longer.
const PARAMETER_MAX = 1024;

export const WhatsAppTemplateSchema = z
  .object({
    name: z.string().regex(NAME, "must be an approved template name: lower-case letters, digits and _ (up to 512)"),
    language: z.string().regex(LANGUAGE, "must be a template language code like en or en_US"),
    /** Body parameters {{1}}, {{2}}, … in order. Without them the message's own text is the one parameter. */
    parameters: z.array(z.string().trim().min(1).max(PARAMETER_MAX)).max(20).optional(),
  })
  .strict()
  .openapi("WhatsAppTemplate");
export type WhatsAppTemplate = z.infer<typeof WhatsAppTemplateSchema>;

/** The template a stored message carries in its metadata (`whatsapp_template`), if a valid one. */
export function templateOf(metadata: Record<string, unknown> | null | undefined): WhatsAppTemplate | undefined {
  const parsed = WhatsAppTemplateSchema.safeParse(metadata?.whatsapp_template);
  return parsed.success ? parsed.data : undefined;
}

/** A WhatsApp channel's fallback template (configuration.fallback_template), if a valid one. */
export function fallbackTemplateOf(configuration: Record<string, unknown> | null | undefined): WhatsAppTemplate | undefined {
  return templateOf({ whatsapp_template: configuration?.fallback_template });
}

/**
 * A body parameter as Meta accepts it: no newlines or tabs, no runs of more than four spaces
 * (error 132000 otherwise), at most 1024 characters (cut at a word boundary with an ellipsis).
 */
export function parameterText(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, " ").replace(/ {2,}/g, " ").trim();
  if (flat.length <= PARAMETER_MAX) return flat;
  const cut = flat.slice(0, PARAMETER_MAX - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > PARAMETER_MAX / 2 ? cut.slice(0, space) : cut}…`;
}

/** The `template` object of a Graph API send: explicit parameters, else the message text as {{1}}; an empty list sends none. */
export function templatePayload(template: WhatsAppTemplate, text: string) {
  // Meta refuses an empty parameter, and dropping it would shift the others: a dash holds its place.
  const parameters = (template.parameters ?? [text]).map((p) => parameterText(p) || "-");
  return {
    name: template.name,
    language: { code: template.language },
    ...(parameters.length ? { components: [{ type: "body", parameters: parameters.map((p) => ({ type: "text", text: p })) }] } : {}),
  };
}

/** How a template message reads in the conversation transcript (the approved wording lives at Meta). */
export function templateTranscript(template: WhatsAppTemplate): string {
  const params = template.parameters?.length ? `: ${template.parameters.join(" | ")}` : "";
  return `[template ${template.name} (${template.language})]${params}`;
}
