// What every user message means to programs and the proactive engine: an answer to a pending
// question, an opt-out, and the reply that makes a proactive message a success.
import type { Env } from "../../env";
import { config } from "../../config";
import { recordUserCreated } from "../analytics";
import { clock, HOUR } from "../../lib/clock";
import { AppError } from "../../lib/errors";
import { jsonChunks } from "../../lib/json-chunks";
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
 * Any reply within the response window of a proactive message makes that message a successful
 * engagement. Statements, not a call: the MirrorWriter runs them in the same D1 batch that mirrors
 * the users' messages (no round trip of its own), one statement for all the replies of a batch
 * (`at` is a message's time). A send that several replies fall within takes the first one's time,
 * as when each reply had a statement of its own, run in order. The sends are found by end user
 * (the `+`s keep SQLite from walking every sent message of the creator instead).
 */
export function respondedStatements(env: Env, creatorId: string, replies: { endUserId: string; at: string }[]): D1PreparedStatement[] {
  const windowMs = config(env).proactive.responseWindowHours * HOUR;
  const rows = replies.map((r) => ({ end_user_id: r.endUserId, at: r.at, since: new Date(Date.parse(r.at) - windowMs).toISOString() }));
  return jsonChunks(rows).map((json) =>
    env.DB.prepare(
      `WITH r AS (SELECT key AS k, json_extract(value, '$.end_user_id') AS end_user_id, json_extract(value, '$.at') AS at, json_extract(value, '$.since') AS since FROM json_each(?1))
       UPDATE proactive_sends SET responded_at = (SELECT r.at FROM r WHERE r.end_user_id = proactive_sends.end_user_id
           AND proactive_sends.sent_at >= r.since AND proactive_sends.sent_at <= r.at ORDER BY r.k LIMIT 1)
        WHERE end_user_id IN (SELECT end_user_id FROM r) AND local_date IS NOT NULL AND +creator_id = ?2 AND +status = 'sent' AND responded_at IS NULL
          AND EXISTS (SELECT 1 FROM r WHERE r.end_user_id = proactive_sends.end_user_id AND proactive_sends.sent_at >= r.since AND proactive_sends.sent_at <= r.at)`,
    ).bind(json, creatorId),
  );
}

/**
 * A user message that reaches programs without passing a conversation object's mirror: the
 * proactive success mark and what programs make of it, in one D1 batch.
 */
export async function onUserMessage(env: Env, msg: InboundMessage): Promise<{ consumed: boolean }> {
  const responded = respondedStatements(env, msg.creatorId, [{ endUserId: msg.endUserId, at: clock.iso() }]);
  const { consumed } = await readUserMessage(env, msg, { extra: responded });
  return { consumed };
}

/**
 * What programs make of an end user's message (the conversation object's port; its mirror carries
 * the success mark). consumed = an answer to a program question or an opt-out (no AI reply).
 * `pendingQuestion: false` is the caller's cached knowledge that the end user has no question
 * waiting: an ordinary message then costs no D1 query at all. The answer says what the caller may
 * cache next (undefined: ask again next time).
 */
export async function readUserMessage(
  env: Env,
  msg: InboundMessage & { pendingQuestion?: boolean },
  opts: { extra?: D1PreparedStatement[] } = {},
): Promise<{ consumed: boolean; pendingQuestion?: boolean }> {
  const at = clock.iso();
  const extra = opts.extra ?? [];
  const pendingQuestion = env.DB.prepare(
    `SELECT * FROM program_enrollments WHERE end_user_id = ? AND creator_id = ? AND status = 'active' AND awaiting = 'answer'
      ORDER BY last_progress_at DESC LIMIT 1`,
  ).bind(msg.endUserId, msg.creatorId);

  if (OPT_OUT.test(msg.text)) {
    await env.DB.batch([
      ...extra,
      env.DB.prepare("INSERT INTO proactive_opt_outs (end_user_id, creator_id, opted_out_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING").bind(msg.endUserId, msg.creatorId, at),
    ]);
    return { consumed: true, ...(msg.pendingQuestion !== undefined && { pendingQuestion: msg.pendingQuestion }) };
  }
  const optIn = OPT_IN.test(msg.text);
  // The common case on a conversation object: no question waiting, an ordinary message.
  if (msg.pendingQuestion === false && !optIn && extra.length === 0) return { consumed: false, pendingQuestion: false };
  // An opt-in's removal and the pending-question lookup share one D1 round trip.
  const optInAt = extra.length;
  const results = await env.DB.batch<EnrollmentRow>([
    ...extra,
    ...(optIn ? [env.DB.prepare("DELETE FROM proactive_opt_outs WHERE end_user_id = ? AND creator_id = ?").bind(msg.endUserId, msg.creatorId)] : []),
    pendingQuestion,
  ]);
  const pending = results.at(-1)!.results[0];
  // "start" consumed only when it ended an opt-out; otherwise it is an ordinary message.
  if (optIn && results[optInAt]!.meta.changes) return { consumed: true, pendingQuestion: !!pending };
  if (!pending) return { consumed: false, pendingQuestion: false };
  // Answering moves the enrolment on (maybe to another question, which tells the object): ask again next time.
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
