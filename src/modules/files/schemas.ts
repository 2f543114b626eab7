// Zod schemas of the conversation files API.
import { z } from "@hono/zod-openapi";
import { UuidParam } from "../../lib/schemas";

export const FileParams = z.object({ conversation_id: UuidParam("conversation_id") });
export const OneFileParams = z.object({ conversation_id: UuidParam("conversation_id"), file_id: UuidParam("file_id") });
export const ChatFileParams = z.object({ chat_id: UuidParam("chat_id") });
export const OneChatFileParams = z.object({ chat_id: UuidParam("chat_id"), file_id: UuidParam("file_id") });

export const FileSchema = z
  .object({
    id: z.string(),
    conversation_id: z.string(),
    name: z.string().openapi({ description: "Safe display name (no path, no control characters)" }),
    content_type: z.string().openapi({ description: "Decided from the file's bytes, not from the declared type" }),
    size: z.number().int(),
    source: z.enum(["upload", "widget", "telegram", "whatsapp", "email", "agent", "api"]),
    end_user_id: z.string().nullable(),
    uploaded_by: z.string().nullable().openapi({ description: "The member who uploaded it; null for the end user's and channels' files" }),
    created_at: z.string(),
    download_url: z.string().openapi({ description: "GET it with the same credential (member token, API key or the visitor's widget token)" }),
  })
  .openapi("ConversationFile");

export const FileListSchema = z.object({ files: z.array(FileSchema) }).openapi("ConversationFileList");
