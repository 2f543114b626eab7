// Zod schemas of the api-keys module.
import { z } from "@hono/zod-openapi";
import { API_KEY_SCOPES } from "./scopes";

export const CreateApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length),
    expires_at: z.string().datetime({ offset: true }).optional(),
  })
  .strict()
  .openapi("CreateApiKeyRequest");
export type CreateApiKeyInput = z.infer<typeof CreateApiKeySchema>;

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    created_at: z.string(),
    created_by: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");
export type ApiKeyView = z.infer<typeof ApiKeySchema>;

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The key itself: shown only in this response" }),
}).openapi("CreatedApiKey");
