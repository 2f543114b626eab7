// What every user message means to programs and the proactive engine: an answer to a pending
// question, an opt-out, and the reply that makes a proactive message a success.
import type { Env } from "../../env";
import { config } from "../../config";
import { recordUserCreated } from "../analytics";
import { clock, HOUR } from "../../lib/clock";
import { AppError } from "../../lib/errors";
import { enroll } from "./enrollments";
import { answerQuestion, type EnrollmentRow } from "./executor";

export interface InboundMessage {
  creatorId: string;
  endUserId: string;
  conversationId: string;
  text: string;
}

/** "/stop", "stop", "STOP." (WhatsApp's and Telegram's convention for unsubscribing). */
const OPT_OUT = /^\s*\/?(stop|unsubscribe)\s*[.!]?\s*$/i;
const OPT_IN = /^\s*\/?(start|subscribe)\s*[.!]?\s*$/i;

/**
 * Called by the conversation paths for every user message. consumed = true when the message was
 * an answer to a program question or an opt-out command (the AI should not answer it as a chat).
 */
export async function onUserMessage(env: Env, msg: InboundMessage): Promise<{ consumed: boolean }> {
  const now = clock.now();
  const at = new Date(now).toISOString();
  const since = new Date(now - config(env).proactive.responseWindowHours * HOUR).toISOString();
  // Any reply within 24 h of a proactive message makes that message a successful engagement.
  const responded = env.DB.prepare(
    `UPDATE proactive_sends SET responded_at = ?1
      WHERE end_user_id = ?2 AND local_date IS NOT NULL AND creator_id = ?3 AND status = 'sent' AND responded_at IS NULL AND sent_at >= ?4 AND sent_at <= ?1`,
  ).bind(at, msg.endUserId, msg.creatorId, since);
  const pendingQuestion = env.DB.prepare(
    `SELECT * FROM program_enrollments WHERE end_user_id = ? AND creator_id = ? AND status = 'active' AND awaiting = 'answer'
      ORDER BY last_progress_at DESC LIMIT 1`,
  ).bind(msg.endUserId, msg.creatorId);

  if (OPT_OUT.test(msg.text)) {
    await env.DB.batch([
      responded,
      env.DB.prepare("INSERT INTO proactive_opt_outs (end_user_id, creator_id, opted_out_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING").bind(msg.endUserId, msg.creatorId, at),
    ]);
    return { consumed: true };
  }
  // Every chat message passes here: the success mark, an opt-in's removal and the pending-question
  // lookup share one D1 round trip.
  const optIn = OPT_IN.test(msg.text);
  const results = await env.DB.batch<EnrollmentRow>([
    responded,
    ...(optIn ? [env.DB.prepare("DELETE FROM proactive_opt_outs WHERE end_user_id = ? AND creator_id = ?").bind(msg.endUserId, msg.creatorId)] : []),
    pendingQuestion,
  ]);
  // "start" consumed only when it ended an opt-out; otherwise it is an ordinary message.
  if (optIn && results[1]!.meta.changes) return { consumed: true };
  const pending = results.at(-1)!.results[0];
  if (!pending) return { consumed: false };
  return { consumed: await answerQuestion(env, pending, msg.text.trim()) };
}

/**
 * Called by the paths that create end users (widget session, first channel contact): enrols the
 * new user in every live program whose published version has settings.auto_enroll.
 */
export async function onEndUserCreated(env: Env, input: { creatorId: string; endUserId: string }): Promise<{ enrolled: string[] }> {
  await recordUserCreated(env, input); // analytics rollups + the user.created webhook event
  const programs = await env.DB.prepare(
    `SELECT p.id FROM programs p JOIN program_versions v ON v.program_id = p.id AND v.version = p.published_version
      WHERE p.creator_id = ? AND p.status <> 'archived' AND json_extract(v.settings, '$.auto_enroll') = 1`,
  )
    .bind(input.creatorId)
    .all<{ id: string }>();
  const enrolled: string[] = [];
  for (const p of programs.results) {
    try {
      enrolled.push((await enroll(env, input.creatorId, input.endUserId, p.id)).enrollment_id);
    } catch (err) {
      // Already enrolled (a retried call) is fine; anything else is a real failure.
      if (!(err instanceof AppError && err.code === "CONFLICT")) throw err;
    }
  }
  return { enrolled };
}
