// Plan notices at 80 % and 100 % of a limit. For now a mail to the workspace's email; the in-app
// notifications of the notifications module replace the body of `notifyPlanThresholds` when they land
// (the seam: one function, called off the request path, with the thresholds the meter returned once).
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
    await mailSender(env).send({
      to: creator.email,
      subject: `EdgeCoach: ${t.percent} % of your ${t.limit} limit per ${t.period}`,
      text: `${text}\n\nSee the usage: ${config(env).publicBaseUrl}/api/v1/auth/dashboard`,
    });
    // In the app too (owner and admins, live inbox): quota_near at 80 %, quota_reached at 100 %.
    await notify(env, creatorId, {
      kind: t.percent >= 100 ? "quota_reached" : "quota_near",
      title: t.percent >= 100 ? `All ${LABELS[t.limit] ?? t.limit} per ${t.period} used` : `${t.percent} % of ${LABELS[t.limit] ?? t.limit} per ${t.period} used`,
      body: text,
      data: { limit: t.limit, period: t.period, percent: t.percent, used: t.used, max: t.max },
    }).catch((err: unknown) => log("warn", "plan notification not written", { creator_id: creatorId, error: String(err) }));
    log("info", "plan.threshold", { creator_id: creatorId, limit: t.limit, period: t.period, percent: t.percent });
  }
}
