// Zod schemas of the widget configuration API.
import { z } from "@hono/zod-openapi";

export const PublicWidgetConfigSchema = z
  .object({
    title: z.string(),
    color: z.string(),
    position: z.enum(["bottom-right", "bottom-left"]),
    welcome_message: z.string(),
    launcher_text: z.string(),
    language: z.string(),
    assistant_name: z.string().nullable().optional().openapi({ description: "The persona's name (PUT /api/v1/creators/assistant); the widget's header shows it instead of the title" }),
    greeting: z.string().nullable().optional().openapi({ description: "The persona's greeting: the widget's first bubble instead of welcome_message" }),
  })
  .openapi("PublicWidgetConfig");

export const WidgetConfigSchema = PublicWidgetConfigSchema.extend({
  widget_key: z.string().openapi({ description: "Public key used by the embed snippet" }),
  allowed_origins: z.array(z.string()).openapi({ description: "Origins allowed to open widget sessions; empty = any" }),
  embed_code: z.string(),
  updated_at: z.string(),
}).openapi("WidgetConfig");

export const UpdateWidgetConfigBody = z
  .object({
    title: z.string().trim().min(1).max(100),
    color: z.string().regex(/^#[0-9a-fA-F]{6}$/, "Must be a hex colour like #2563eb"),
    position: z.enum(["bottom-right", "bottom-left"]),
    welcome_message: z.string().trim().min(1).max(500),
    launcher_text: z.string().trim().min(1).max(40),
    language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "Must be a language tag like en or pt-BR"),
    allowed_origins: z.array(z.string().max(300)).max(50),
  })
  .partial()
  .strict()
  .openapi("UpdateWidgetConfigRequest");
export type UpdateWidgetConfigInput = z.infer<typeof UpdateWidgetConfigBody>;

export const EmbedCodeSchema = z
  .object({
    widget_key: z.string(),
    embed_code: z.string(),
    script_url: z.string(),
    integrity: z.string().nullable().openapi({ description: "Subresource Integrity (sha384) of the deployed widget.js, also in embed_code" }),
  })
  .openapi("WidgetEmbedCode");
