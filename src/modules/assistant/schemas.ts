// Zod schemas of the assistant persona (GET/PUT /api/v1/creators/assistant).
import { z } from "@hono/zod-openapi";

export const TONES = ["friendly", "professional", "motivating", "concise", "playful"] as const;

export const PersonaSchema = z
  .object({
    name: z.string().openapi({ description: "What the assistant calls itself" }),
    tone: z.enum(TONES),
    language: z.string().nullable().openapi({ description: "BCP 47 tag it answers in; null = the language of the question" }),
    instructions: z.string().openapi({ description: "The creator's own instructions; they come after the platform's rules and can't change them" }),
    fallback_message: z.string().nullable().openapi({ description: "Said when the knowledge doesn't answer (creator settings `fallback_message`)" }),
    handover_threshold: z.number().min(0).max(1).openapi({ description: "Below this confidence a channel conversation goes to a person (settings `handover_confidence_threshold`); 0 = off" }),
    greeting: z.string().nullable().openapi({ description: "First message of a new conversation" }),
    chat_model: z.string().nullable().openapi({ description: "The model answers are generated with (provider:id from GET /api/v1/model); null = the configured default" }),
  })
  .openapi("AssistantPersona");

export const UpdatePersonaBody = z
  .object({
    name: z.string().trim().min(1).max(60),
    tone: z.enum(TONES),
    language: z
      .string()
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "A BCP 47 language tag such as en or pt-BR")
      .nullable(),
    instructions: z.string().max(2000),
    fallback_message: z.string().trim().min(1).max(500).nullable(),
    handover_threshold: z.number().min(0).max(1),
    greeting: z.string().trim().min(1).max(500).nullable(),
    chat_model: z.string().trim().min(1).max(200).nullable(),
  })
  .partial()
  .strict()
  .openapi("UpdateAssistantPersonaRequest");

export type Persona = z.infer<typeof PersonaSchema>;
export type UpdatePersonaInput = z.infer<typeof UpdatePersonaBody>;
