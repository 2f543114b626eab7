// Zod schemas of the multi-model API: GET /api/v1/model, POST /api/v1/aisuite/chat, the prompt compiler
// and the provider test endpoints.
import { z } from "@hono/zod-openapi";

export const CAPABILITIES = ["chat", "embeddings", "vision", "speech_to_text", "text_to_speech"] as const;
export const PROVIDERS = ["local", "openai", "workers-ai", "anthropic"] as const;

export const ModelSchema = z
  .object({
    id: z.string().openapi({ example: "claude-sonnet-4-5" }),
    name: z.string().openapi({ description: "provider:id, accepted wherever a model is named" }),
    provider: z.enum(PROVIDERS),
    capabilities: z.array(z.enum(CAPABILITIES)),
    default_for: z.array(z.enum(CAPABILITIES)).openapi({ description: "Capabilities this model is the provider's configured default for" }),
  })
  .openapi("Model");

export const ModelListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  capability: z.enum(CAPABILITIES).optional(),
  provider: z.enum(PROVIDERS).optional(),
});

export const ModelListSchema = z
  .object({
    models: z.array(ModelSchema),
    pagination: z.object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), pages: z.number().int() }),
    unavailable_providers: z.array(z.object({ provider: z.string(), detail: z.string().optional() })),
  })
  .openapi("ModelList");

const TextPart = z.object({ type: z.literal("text"), text: z.string().max(100_000) });
const ImagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string().regex(/^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/, "a data:image/(png|jpeg|gif|webp);base64 URL") }),
});

export const AiSuiteChatBody = z
  .object({
    model: z.string().trim().min(1).max(200).openapi({ example: "anthropic:claude-sonnet-4-5", description: "A model id or provider:id from GET /api/v1/model" }),
    messages: z
      .array(
        z.object({
          role: z.enum(["system", "user", "assistant"]),
          content: z.union([z.string().max(100_000), z.array(z.union([TextPart, ImagePart])).min(1).max(20)]),
        }),
      )
      .min(1)
      .max(100),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(1).max(8192).optional(),
    stream: z.boolean().optional(),
  })
  .strict()
  .openapi("AiSuiteChatRequest");

export const AiSuiteChatResponse = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number().int(),
    model: z.string(),
    provider: z.enum(PROVIDERS),
    choices: z.array(z.object({ index: z.number().int(), message: z.object({ role: z.literal("assistant"), content: z.string() }), finish_reason: z.string() })),
  })
  .openapi("AiSuiteChatResponse");

const Prompt = z.string().min(1).max(20_000);
const Values = z.record(z.string(), z.union([z.string().max(5000), z.number(), z.boolean()]));

export const CompileFormBody = z.object({ prompt: Prompt, modelid: z.string().max(200).optional(), title: z.string().max(200).optional() }).strict();
export const CompileBody = z
  .object({
    prompt: Prompt,
    parameters: Values.optional(),
    modelid: z.string().max(200).optional(),
    optimize: z.boolean().optional().openapi({ description: "Also ask the model to rewrite the compiled prompt more clearly (needs a model provider)" }),
  })
  .strict();
export const UpdateParametersBody = z
  .object({
    prompt: Prompt,
    text: z.string().min(1).max(20_000).openapi({ description: "Free text the parameter values are read from" }),
    parameters: Values.optional().openapi({ description: "Values known already; the text's values override them" }),
    modelid: z.string().max(200).optional(),
  })
  .strict();

export const TestChatBody = z.object({ message: z.string().trim().min(1).max(4000), model: z.string().max(200).optional() }).strict();
export const TestEmbeddingBody = z.object({ text: z.string().trim().min(1).max(8000) }).strict();
