// Satisfaction ratings (1–5, optional comment), one per conversation: stored with its rollup in one
// batch (CSAT everywhere reads the rollups), announced as `rating.received`, and a low one (≤ 2)
// notifies the team.
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { AppError, conflict, notFound } from "../../lib/errors";
import { notify } from "../notifications";
import { recordActivity } from "./dispatch";
import { lowRatingStatement } from "./gaps";
import { conversationTargets } from "./segments";

export const LOW_RATING = 2;

export interface RatingInput {
  score: number;
  comment?: string;
  source: "visitor" | "member";
  memberId?: string;
}

export async function recordRating(env: Env, creatorId: string, conversationId: string, input: RatingInput) {
  const conv = await env.DB.prepare("SELECT channel FROM conversations WHERE id = ? AND creator_id = ?").bind(conversationId, creatorId).first<{ channel: string }>();
  if (!conv) throw notFound("Conversation");
  const at = clock.iso();
  const comment = input.comment?.trim() || null;
  const [inserted] = await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO conversation_ratings (conversation_id, creator_id, channel, score, comment, source, member_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO NOTHING RETURNING conversation_id`,
    ).bind(conversationId, creatorId, conv.channel, input.score, comment, input.source, input.memberId ?? null, at),
    // Counted only if the row above is this rating (same time and score): atomic with the insert.
    ...conversationTargets("?2", "?1", "?5").map((t) =>
      env.DB.prepare(
        `INSERT INTO ${t.into}, rating_count, rating_sum)
         SELECT ?1, k.g, substr(?3, 1, k.len), ${t.key}, 1, ?4 FROM (SELECT 'h' AS g, 13 AS len UNION ALL SELECT 'd', 10) k${t.join}
         WHERE EXISTS (SELECT 1 FROM conversation_ratings WHERE conversation_id = ?5 AND created_at = ?3 AND score = ?4 AND creator_id = ?1)
         ${t.conflict} DO UPDATE SET rating_count = rating_count + 1, rating_sum = rating_sum + excluded.rating_sum`,
      ).bind(creatorId, conv.channel, at, input.score, conversationId),
    ),
    // A low rating makes the conversation's last question a knowledge gap (a repeated rating is refused above, and this id is its own).
    ...(input.score <= LOW_RATING ? [lowRatingStatement(env, creatorId, conversationId, at)] : []),
  ]);
  if (!inserted!.results.length) throw conflict("This conversation has already been rated");
  const rating = { conversation_id: conversationId, channel: conv.channel === "widget" ? "web" : conv.channel, score: input.score, comment, source: input.source, created_at: at };
  await recordActivity(env, creatorId, "rating.received", rating, `rating_${conversationId}`);
  if (input.score <= LOW_RATING) {
    await notify(env, creatorId, {
      kind: "low_rating",
      title: `A conversation was rated ${input.score}/5`,
      body: comment ? `"${comment.slice(0, 200)}"` : "No comment was left.",
      data: { conversation_id: conversationId, score: input.score },
    });
  }
  return rating;
}

/** The widget's `rating` frame: the visitor rates their own conversation; the answer is a frame. */
export async function rateFromSocket(
  env: Env,
  conversation: { creatorId: string; conversationId: string },
  who: { role: string },
  frame: { score: number; comment?: string },
): Promise<{ type: "rating_recorded"; score: number } | { type: "error"; code: string; message: string }> {
  if (who.role !== "user") return { type: "error", code: "INSUFFICIENT_PERMISSIONS", message: "Agents record ratings with POST /api/v1/conversations/{id}/rating" };
  try {
    await recordRating(env, conversation.creatorId, conversation.conversationId, { score: frame.score, ...(frame.comment !== undefined && { comment: frame.comment }), source: "visitor" });
    return { type: "rating_recorded", score: frame.score };
  } catch (err) {
    if (err instanceof AppError) return { type: "error", code: err.code, message: err.message };
    throw err;
  }
}
