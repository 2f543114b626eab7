// Public webhook routes (no bearer): Telegram and WhatsApp, in the shared form of the coaching
// spec (/api/v1/channels/{type}/webhook) and the per-channel form of the creator-hub spec
// (/webhooks/{type}/{channel_id}). Bodies are read raw: the WhatsApp signature covers the exact bytes.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { config } from "../../config";
import type { AppBindings } from "../../env";
import { AppError } from "../../lib/errors";
import { createRouter } from "../../lib/router";
import { readBodyLimited } from "../../middleware/json-body";
import { errorResponses, jsonContent } from "../../lib/schemas";
import { ingestTelegram, ingestWhatsApp, verifyWhatsApp } from "./inbound";
import { markVerified } from "./service";

const tags = ["Channel webhooks"];
const Ack = z.object({ ok: z.boolean(), queued: z.number().int() });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The raw body, read at most WEBHOOK_MAX_BODY_BYTES (these routes are declared `body: "raw"`). The
 * body is unverified until its secret or signature checks out, so it is never read past the cap,
 * whatever Content-Length says (or when it says nothing: a chunked body).
 */
function rawBody(c: Context<AppBindings>): Promise<Uint8Array> {
  return readBodyLimited(c.req.raw, config(c.env).webhookMaxBodyBytes);
}

function channelParam(c: Context<AppBindings>): string | undefined {
  const id = c.req.param("channel_id");
  if (id === undefined) return undefined;
  if (!UUID.test(id)) throw new AppError("RESOURCE_NOT_FOUND", "Channel not found");
  return id;
}

const ChannelIdPath = z.object({ channel_id: z.string().openapi({ param: { name: "channel_id", in: "path" } }) });
const accepted = jsonContent(Ack, "Accepted (the work continues on the queue)");
const challenge = { description: "hub.challenge echoed as text/plain", content: { "text/plain": { schema: z.string() } } };

const sharedPost = (path: string, summary: string) =>
  createRoute({ method: "post", path, tags, summary, responses: { 200: accepted, ...errorResponses(400, 401, 413, 422, 503) } });
const channelPost = (path: string, summary: string) =>
  createRoute({ method: "post", path, tags, summary, request: { params: ChannelIdPath }, responses: { 200: accepted, ...errorResponses(400, 401, 404, 413, 422, 503) } });

async function telegram(c: Context<AppBindings>) {
  const raw = await rawBody(c);
  const r = await ingestTelegram(c.env, { channelId: channelParam(c), secret: c.req.header("X-Telegram-Bot-Api-Secret-Token"), raw });
  return c.json({ ok: true, ...r }, 200);
}

async function whatsapp(c: Context<AppBindings>) {
  const raw = await rawBody(c);
  const r = await ingestWhatsApp(c.env, { channelId: channelParam(c), signature: c.req.header("X-Hub-Signature-256"), raw });
  return c.json({ ok: true, ...r }, 200);
}

async function whatsappVerify(c: Context<AppBindings>) {
  const challenge = await verifyWhatsApp(
    c.env,
    { channelId: channelParam(c), mode: c.req.query("hub.mode"), token: c.req.query("hub.verify_token"), challenge: c.req.query("hub.challenge") },
    (row) => markVerified(c.env, row),
  );
  return c.text(challenge, 200);
}

const TG = "Telegram update (header X-Telegram-Bot-Api-Secret-Token; 401 when missing or wrong)";
const WA = "WhatsApp notification (X-Hub-Signature-256 over the raw body; 401 when wrong)";
const WAV = "Meta's verification: echoes hub.challenge for the right hub.verify_token (403 otherwise); activates the channel";

// Platform webhooks: verified by their own secrets, never counted against a creator's API quota (the
// platforms pace themselves); the WhatsApp signature covers the exact bytes.
export const webhookRoutes = createRouter({ rateLimit: "none", body: "raw", meter: "none" })
  .openapi(sharedPost("/api/v1/channels/telegram/webhook", TG), (c) => telegram(c))
  .openapi(channelPost("/webhooks/telegram/{channel_id}", TG), (c) => telegram(c))
  .openapi(sharedPost("/api/v1/channels/whatsapp/webhook", WA), (c) => whatsapp(c))
  .openapi(channelPost("/webhooks/whatsapp/{channel_id}", WA), (c) => whatsapp(c))
  .openapi(createRoute({ method: "get", path: "/api/v1/channels/whatsapp/webhook", tags, summary: WAV, responses: { 200: challenge, ...errorResponses(403) } }), (c) => whatsappVerify(c))
  .openapi(
    createRoute({ method: "get", path: "/webhooks/whatsapp/{channel_id}", tags, summary: WAV, request: { params: ChannelIdPath }, responses: { 200: challenge, ...errorResponses(403, 404) } }),
    (c) => whatsappVerify(c),
  );
