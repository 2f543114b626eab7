// The rating prompt on Telegram and WhatsApp: when a channel conversation is resolved (its
// `conversation.resolved` activity event), the visitor is asked to rate it 1–5 — a Telegram inline
// keyboard (callback data `rate:1`…`rate:5`) or a WhatsApp list message (row ids `rate:<n>`). The
// press is recorded by the inbound job (recordRating), answered and thanked here.
import { config } from "../../config";
import type { Env } from "../../env";
import { AppError } from "../../lib/errors";
import { log } from "../../lib/logging";
import { recordRating } from "../analytics";
import { sendToEndUser } from "./outbound";
import { openSecrets } from "./secrets";
import type { ChannelRow } from "./store";
import { TelegramClient } from "./telegram";

export const RATING_PROMPT_TEXT = "How did we do? Please rate this conversation from 1 (poor) to 5 (excellent).";
export const RATING_THANKS_TEXT = "Thank you for your rating!";
export const RATING_ALREADY_TEXT = "This conversation has already been rated. Thank you!";

/**
 * The JOBS handler of one resolution: asks once per resolution (the event id keys the message, so a
 * redelivered job stores nothing twice), and not at all when the conversation is already rated.
 */
export async function sendRatingPrompt(env: Env, job: { creatorId: string; conversationId: string; eventId: string }): Promise<void> {
  const conv = await env.DB.prepare(
    `SELECT c.channel, (SELECT 1 FROM conversation_ratings r WHERE r.conversation_id = c.id) AS rated
     FROM conversations c WHERE c.id = ? AND c.creator_id = ?`,
  )
    .bind(job.conversationId, job.creatorId)
    .first<{ channel: string; rated: number | null }>();
  if (!conv || (conv.channel !== "telegram" && conv.channel !== "whatsapp") || conv.rated) return;
  await sendToEndUser(env, {
    creatorId: job.creatorId,
    conversationId: job.conversationId,
    text: RATING_PROMPT_TEXT,
    sender: "system",
    clientMessageId: `rating-prompt:${job.eventId}`,
    metadata: { rating_prompt: true },
  });
}

/** A rating press: recorded once; Telegram's press is answered (answerCallbackQuery); the first one is thanked. */
export async function ratingPressed(env: Env, channel: ChannelRow, input: { creatorId: string; conversationId: string; score: number; callbackQueryId?: string }): Promise<void> {
  let first = true;
  await recordRating(env, input.creatorId, input.conversationId, { score: input.score, source: "visitor" }).catch((err: unknown) => {
    // One rating per conversation: a second press changes nothing (409).
    if (!(err instanceof AppError && err.status === 409)) throw err;
    first = false;
  });
  if (channel.type === "telegram" && input.callbackQueryId) {
    const secrets = await openSecrets(env, channel.secrets);
    const answered = await new TelegramClient(config(env).channels.telegramApiBaseUrl, secrets.bot_token!).answerCallbackQuery(input.callbackQueryId, first ? RATING_THANKS_TEXT : RATING_ALREADY_TEXT);
    // A press older than Telegram's answer window can't be answered any more: not worth a retry.
    if (!answered.answer.ok) log("warn", "answerCallbackQuery failed", { description: answered.answer.description });
  }
  if (first) {
    await sendToEndUser(env, { creatorId: input.creatorId, conversationId: input.conversationId, text: RATING_THANKS_TEXT, sender: "system", clientMessageId: `rating-thanks:${input.conversationId}` });
  }
}
