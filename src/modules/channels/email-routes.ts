// The email channel's REST face (customer-support spec, base /api/channels): send, process, listener.
import { createRoute, z } from "@hono/zod-openapi";
import { config } from "../../config";
import { AppError } from "../../lib/errors";
import { createRouter, issuesToDetails } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { readBodyLimited } from "../../middleware/json-body";
import { requireAuth } from "../../middleware/auth";
import { listenerInfo, processEmail, sendEmail } from "./email-api";
import { ListenerResponse, ProcessEmailJsonSchema, ProcessEmailResponse, SendEmailResponse, SendEmailSchema } from "./email-schemas";

const tags = ["Email channel"];
const security = [{ bearerAuth: [] }];

const sendRoute = createRoute({
  method: "post",
  path: "/api/channels/email/send",
  tags,
  security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Send an email from the creator's email channel: a new thread, or (threadId) a reply in one; queued and retried, threaded with In-Reply-To/References",
  request: { body: jsonBody(SendEmailSchema) },
  responses: { 202: jsonContent(SendEmailResponse, "Queued"), ...errorResponses(400, 401, 403, 404, 409, 415, 422, 429) },
});

const processRoute = createRoute({
  method: "post",
  path: "/api/channels/email/process",
  tags,
  security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary:
    "Process an incoming email for the creator's email channel, the same path as the Worker's email() handler: a raw RFC 822 message (Content-Type message/rfc822) or the spec's JSON fields. Auto-replies, bounces, lists and our own mail are recorded and never answered",
  request: {
    // The body (message/rfc822, or ProcessEmailRequest as JSON) is read by the handler, capped at EMAIL_MAX_RAW_BYTES.
    query: z.object({ channel_id: z.string().uuid().optional() }),
  },
  responses: { 200: jsonContent(ProcessEmailResponse, "Processed or ignored"), ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429) },
});

const listener = (verb: "start" | "stop") =>
  createRoute({
    method: "post",
    path: `/api/channels/email/listener/${verb}`,
    tags,
    security,
    middleware: [requireAuth({ permission: "write" })] as const,
    summary: "There is no IMAP listener on Workers: answers with the inbound addresses and the Email Routing rule to configure instead",
    responses: { 200: jsonContent(ListenerResponse, "What to configure"), ...errorResponses(401, 403, 429) },
  });

export const emailRoutes = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(sendRoute, async (c) => c.json(await sendEmail(c.env, c.get("auth")!, c.req.valid("json")), 202))
  .openapi(listener("start"), async (c) => c.json(await listenerInfo(c.env, c.get("creatorId")!), 200))
  .openapi(listener("stop"), async (c) => c.json(await listenerInfo(c.env, c.get("creatorId")!), 200));

// Raw bodies (a whole message) and an AI answer per mail: read here up to EMAIL_MAX_RAW_BYTES, chat-limited.
export const emailProcessRoutes = createRouter({ rateLimit: "chat", body: "raw", meter: "api" }).openapi(processRoute, async (c) => {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  const channelId = c.req.valid("query").channel_id;
  const creatorId = c.get("creatorId")!;
  if (type !== "message/rfc822" && type !== "application/json" && type !== "text/plain") {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the raw message as message/rfc822 (or text/plain), or the JSON fields as application/json");
  }
  const raw = await readBodyLimited(c.req.raw, config(c.env).channels.email.maxRawBytes);
  if (type !== "application/json") return c.json(await processEmail(c.env, creatorId, { raw, channelId }), 200);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new AppError("MALFORMED_REQUEST", "Request body is not valid JSON");
  }
  const parsed = ProcessEmailJsonSchema.safeParse(body);
  if (!parsed.success) throw new AppError("VALIDATION_ERROR", "Invalid email", issuesToDetails(parsed.error.issues, "json"));
  return c.json(await processEmail(c.env, creatorId, { json: parsed.data, channelId }), 200);
});
