// The audience's AI answers (widget, Telegram, WhatsApp) within the creator's plan: the conversation
// object calls `answerWithinPlan` instead of `streamAnswer`. Over the limit, the audience gets the
// creator's fallback message (never an error and never silence) and the creator gets the notice.
// The platform's daily ceiling (AUDIENCE_AI_ANSWERS_PER_DAY) is the same counter with a lower max:
// one meter, one counter, one notice, whichever of the plan and the ceiling is lower.
import { eq } from "drizzle-orm";
import { fallbackText, streamAnswer, type AnswerEvent, type AnswerInput } from "../../ai/answer";
import { getDb } from "../../db/client";
import { creators } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { log } from "../../lib/logging";
import { charge, plansEnabled } from "./service";

export const PLAN_LIMIT_MODEL = "fallback (plan limit reached: ai_messages)";

export async function* answerWithinPlan(env: Env, input: AnswerInput, channel: string): AsyncGenerator<AnswerEvent> {
  // The AI REST API (channel api) was charged, and refused with a 429, by the plan middleware on its
  // request (POST /api/v1/ai/conversations): counting it here again would spend two answers for one.
  if (plansEnabled(env) && channel !== "api") {
    const started = Date.now();
    const row = await getDb(env.DB).select({ tier: creators.subscriptionTier }).from(creators).where(eq(creators.id, input.creatorId)).get();
    const { result, notices } = await charge(env, input.creatorId, row?.tier ?? "free", [
      { limit: "ai_messages", ceiling: { day: config(env).plans.audienceAiAnswersPerDay } },
    ]);
    // Inside a Durable Object there is no waitUntil: the notice (rare: twice a period) is awaited.
    if (result.crossed.length) await notices;
    if (!result.allowed) {
      log("warn", "plan.limit_reached", { creator_id: input.creatorId, limit: "ai_messages", period: result.denied?.period });
      const text = await fallbackText(env, input.creatorId);
      for (const piece of text.split(/(?<=\s)/)) yield { type: "delta", delta: piece };
      yield { type: "done", result: { response: text, confidence: 0, model_used: PLAN_LIMIT_MODEL, sources: [], processing_time_ms: Date.now() - started } };
      return;
    }
  }
  yield* streamAnswer(env, input);
}
