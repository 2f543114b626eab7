// The Worker's email() handler (Cloudflare Email Workers): the envelope recipient names the channel,
// the raw message takes the same path as POST /api/channels/email/process. A mail nobody can take
// (unknown address, too large, not a message) is rejected at SMTP time, so its sender learns of it.
import { config } from "../../config";
import type { Env } from "../../env";
import { AppError } from "../../lib/errors";
import { log } from "../../lib/logging";
import { channelForAddress, receiveEmail } from "./email";

export async function receiveInboundEmail(message: ForwardableEmailMessage, env: Env): Promise<void> {
  const max = config(env).channels.email.maxRawBytes;
  if (message.rawSize > max) return message.setReject(`Message too large (limit ${max} bytes)`);
  const channel = await channelForAddress(env, message.to);
  if (!channel) return message.setReject("Unknown address");
  const raw = new Uint8Array(await new Response(message.raw).arrayBuffer());
  try {
    const outcome = await receiveEmail(env, channel, { raw, envelopeFrom: message.from, envelopeTo: message.to });
    log("info", "email received", { channel_id: channel.id, status: outcome.status, ...(outcome.status === "ignored" && { reason: outcome.reason }) });
  } catch (err) {
    if (err instanceof AppError && err.status < 500) return message.setReject(err.message);
    // Thrown: Email Routing retries the delivery later (the work is idempotent on the Message-ID).
    throw err;
  }
}
