// Zod schemas of notifications.
import { z } from "@hono/zod-openapi";
import { NOTIFICATION_KINDS } from "../../db/schema";

export const NotificationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  unread_only: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});

export const NotificationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(NOTIFICATION_KINDS),
    title: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.unknown()),
    read: z.boolean(),
    read_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Notification");

export const NotificationListSchema = z.object({ notifications: z.array(NotificationSchema), unread_count: z.number() });

export const MarkReadBody = z
  .union([z.object({ ids: z.array(z.string().uuid()).min(1).max(100) }).strict(), z.object({ all: z.literal(true) }).strict()])
  .openapi("MarkNotificationsRead");

export const MarkReadResult = z.object({ marked: z.number(), unread_count: z.number() });
