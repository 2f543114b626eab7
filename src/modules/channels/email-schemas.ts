// Zod schemas of the email endpoints (customer-support-platform-api.md "Send Email", "Process Email").
import { z } from "@hono/zod-openapi";
import { isEmailAddress } from "./email";

const Address = z.string().trim().max(254).refine(isEmailAddress, "Must be an email address like maya@example.com");
// RFC 5322: a header line is at most 998 characters.
const Subject = z.string().trim().max(998).refine((s) => !/[\r\n]/.test(s), "One line, no line breaks");

export const SendEmailSchema = z
  .object({
    to: Address,
    subject: Subject.pipe(z.string().min(1)),
    text: z.string().trim().min(1).max(100_000),
    html: z.string().max(500_000).optional(),
    replyTo: Address.optional(),
    /** Our conversation id (threadId of an earlier send or process): the mail is a reply in that thread. */
    threadId: z.string().uuid().optional(),
    /** Which email channel, when the creator has several. */
    channel_id: z.string().uuid().optional(),
    /** The caller's id for this message: sending it again returns the first send. */
    messageId: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
  .openapi("SendEmailRequest");
export type SendEmailInput = z.infer<typeof SendEmailSchema>;

export const SendEmailResponse = z
  .object({ status: z.string(), messageId: z.string(), threadId: z.string(), channel_id: z.string(), timestamp: z.string() })
  .openapi("SendEmailResponse");

export const ProcessEmailJsonSchema = z
  .object({
    from: Address,
    subject: Subject.optional(),
    text: z.string().max(100_000).optional(),
    html: z.string().max(500_000).optional(),
    threadId: z.string().uuid().optional(),
    messageId: z.string().trim().min(3).max(300).regex(/^<?[^<>\s]+@[^<>\s]+>?$/, "A Message-ID like <id@host>").optional(),
    inReplyTo: z.string().trim().min(3).max(300).regex(/^<?[^<>\s]+@[^<>\s]+>?$/, "A Message-ID like <id@host>").optional(),
    /** Base64 contents. */
    attachments: z
      .array(z.object({ filename: z.string().trim().min(1).max(200), contentType: z.string().trim().min(3).max(200), content: z.string().regex(/^[A-Za-z0-9+/=\s]*$/, "Base64") }).strict())
      .max(20)
      .optional(),
    channel_id: z.string().uuid().optional(),
  })
  .strict()
  .refine((b) => b.text !== undefined || b.html !== undefined, { message: "Give text or html", path: ["text"] })
  .openapi("ProcessEmailRequest");
export type ProcessEmailJson = z.infer<typeof ProcessEmailJsonSchema>;

export const ProcessEmailResponse = z
  .object({
    status: z.enum(["processed", "ignored"]),
    reason: z.string().optional().openapi({ description: "Why it was not answered: auto_reply, bulk, bounce, own_message, channel_paused" }),
    messageId: z.string().nullable(),
    threadId: z.string().nullable(),
    email_message_id: z.string(),
    answered: z.boolean(),
    duplicate: z.boolean(),
  })
  .openapi("ProcessEmailResponse");

export const ListenerResponse = z
  .object({
    status: z.literal("not_applicable"),
    listening: z.boolean(),
    message: z.string(),
    inbound_addresses: z.array(z.object({ channel_id: z.string(), address: z.string().nullable(), status: z.string() })),
    configure: z.array(z.string()),
  })
  .openapi("EmailListenerResponse");
