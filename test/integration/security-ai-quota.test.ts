// Denial of wallet through the audience: a creator's visitors get at most AUDIENCE_AI_ANSWERS_PER_DAY
// AI answers a day, even on a plan without a limit; then the creator's fallback message, and the
// creator hears it (a quota_reached notification).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { answerWithinPlan, PLAN_LIMIT_MODEL } from "../../src/modules/plans/audience";
import type { Env } from "../../src/env";
import { api, createCreator } from "../helpers";

const OPERATOR = { Authorization: "Bearer test-operator-key-0123456789abcdef" };

async function ask(e: Env, creatorId: string, message: string) {
  let model = "";
  let text = "";
  for await (const ev of answerWithinPlan(e, { creatorId, message, audience: "public" } as never, "widget")) {
    if (ev.type === "done") {
      model = ev.result.model_used;
      text = ev.result.response;
    }
  }
  return { model, text };
}

describe("the audience's AI answers per creator per day", () => {
  it("are capped even on an unlimited plan: the fallback message, and a quota_reached notice", { timeout: 60_000 }, async () => {
    const s = await createCreator();
    // Enterprise: ai_messages unlimited by the plan; the platform ceiling still holds.
    const plan = await api(`/api/v1/operator/creators/${s.creator.id}/plan`, { method: "PUT", headers: { ...OPERATOR, "Content-Type": "application/json" }, body: JSON.stringify({ tier: "enterprise" }) });
    expect(plan.status).toBe(200);
    await api("/api/v1/creators/profile", { method: "PUT", token: s.access_token, json: { settings: { fallback_message: "Coach Ana will answer you soon." } } });
    const capped = { ...env, AUDIENCE_AI_ANSWERS_PER_DAY: "2" } as Env;

    const answers = [];
    for (const q of ["hello", "what do you offer", "and the price"]) answers.push(await ask(capped, s.creator.id, q));
    expect(answers[0]!.model).not.toBe(PLAN_LIMIT_MODEL);
    expect(answers[1]!.model).not.toBe(PLAN_LIMIT_MODEL);
    expect(answers[2]).toEqual({ model: PLAN_LIMIT_MODEL, text: "Coach Ana will answer you soon." });

    const list = await api("/api/v1/notifications", { token: s.access_token });
    const items = ((await list.json()) as { notifications: { kind: string; data: Record<string, unknown> }[] }).notifications;
    const reached = items.filter((n) => n.kind === "quota_reached");
    expect(reached).toHaveLength(1);
    expect(reached[0]!.data).toMatchObject({ limit: "ai_messages", period: "day", max: 2 });

    // The same counter as the plan's ai_messages (one mechanism): the dashboard shows the 2 answers.
    const dash = (await (await api("/api/v1/auth/dashboard", { token: s.access_token })).json()) as { usage: Record<string, { day: { used: number } }> };
    expect(dash.usage.ai_messages!.day.used).toBe(2);
  });
});
