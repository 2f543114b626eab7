// Plan notices at 80 % and 100 % of a limit: an in-app notification for the owner and admins
// (pushed live through the inbox stream) and a mail to the workspace's email, each sent once per
// threshold and period (the meter returns a crossed threshold once; this runs off the request path).
import { eq } from "drizzle-orm";
import { getDb } from "../../db/client";
import { creators } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { log } from "../../lib/logging";
import { mailSender } from "../../lib/mail";
import { notify } from "../notifications";
import type { Threshold } from "../../../durable-objects/usage-meter";

const LABELS: Record<string, string> = {
  ai_messages: "AI-answered messages",
  ai_calls: "AI API calls",
  uploads: "uploads",
  tasks: "background tasks",
  api_calls: "API calls",
};

export async function notifyPlanThresholds(env: Env, creatorId: string, crossed: Threshold[]): Promise<void> {
  if (!crossed.length) return;
  const creator = await getDb(env.DB).select({ email: creators.email, tier: creators.subscriptionTier }).from(creators).where(eq(creators.id, creatorId)).get();
  if (!creator) return;
  for (const t of crossed) {
    const what = `${LABELS[t.limit] ?? t.limit} (${t.limit}) per ${t.period}`;
    const text =
      t.percent >= 100
        ? `Your workspace has used all ${t.max} ${what} of the ${creator.tier} plan. Further requests are refused until the ${t.period} ends.`
        : `Your workspace has used ${t.used} of ${t.max} ${what} (${t.percent} %) of the ${creator.tier} plan.`;
    await notify(env, creatorId, {
      kind: t.percent >= 100 ? "quota_reached" : "quota_near",
      title: t.percent >= 100 ? `The ${t.limit} limit per ${t.period} is reached` : `${t.percent} % of the ${t.limit} limit per ${t.period} used`,
      body: text,
      data: { limit: t.limit, period: t.period, used: t.used, max: t.max, percent: t.percent },
    }).catch((err: unknown) => log("warn", "plan notification not written", { creator_id: creatorId, error: String(err) }));
    await mailSender(env).send({
      to: creator.email,
      subject: `EdgeCoach: ${t.percent} % of your ${t.limit} limit per ${t.period}`,
      text: `${text}\n\nSee the usage: ${config(env).publicBaseUrl}/api/v1/auth/dashboard`,
    });
    log("info", "plan.threshold", { creator_id: creatorId, limit: t.limit, period: t.period, percent: t.percent });
  }
}
