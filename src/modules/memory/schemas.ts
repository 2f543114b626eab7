// Zod schemas of the memory store (customer-support-platform-api.md "Memory Engine API": store/retrieve memory).
import { z } from "@hono/zod-openapi";
import { MEMORY_TYPES } from "../../db/schema";

const MAX_VALUE_BYTES = 16 * 1024;

export const MemoryKey = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9_.:-]+$/, "Letters, digits, _ . : and -");

export const StoreMemoryBody = z
  .object({
    user_id: z.string().uuid().openapi({ description: "The end user (GET /api/v1/users)" }),
    type: z.enum(MEMORY_TYPES),
    key: MemoryKey,
    value: z
      .unknown()
      .refine((v) => v !== undefined, "Required")
      .refine((v) => JSON.stringify(v ?? null).length <= MAX_VALUE_BYTES, `At most ${MAX_VALUE_BYTES} bytes of JSON`)
      .openapi({ description: "Any JSON value" }),
    ttl: z.number().int().min(1).max(365 * 24 * 3600).optional().openapi({ description: "Seconds until it is forgotten" }),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .openapi("StoreMemoryRequest");

export const MemoryQuery = z.object({ type: z.enum(MEMORY_TYPES).optional(), key: MemoryKey.optional() }).strict();
export const MemoryUserParam = z.object({ user_id: z.string().uuid() });
export const MemoryIdParam = z.object({ user_id: z.string().uuid(), memory_id: z.string().uuid() });

export const MemorySchema = z
  .object({
    id: z.string(),
    type: z.enum(MEMORY_TYPES),
    key: z.string(),
    value: z.unknown(),
    metadata: z.record(z.string(), z.unknown()),
    expires_at: z.string().nullable(),
  })
  .openapi("Memory");

export type StoreMemoryInput = z.infer<typeof StoreMemoryBody>;
