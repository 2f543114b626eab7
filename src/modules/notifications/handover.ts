// A conversation waiting for a human: a notification for every member, and a mail to the agents
// when none of the creator's members is connected to the live inbox (HANDOVER_EMAIL_WHEN_NO_AGENT_ONLINE).
import { and, eq, inArray } from "drizzle-orm";
import { tenant } from "../../db/client";
import { members } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { mailSender } from "../../lib/mail";
import { inboxStub } from "./inbox";
import { notify } from "./service";

export async function onEscalation(env: Env, creatorId: string, data: Record<string, unknown>): Promise<void> {
  const conversationId = String(data.conversation_id ?? "");
  const channel = String(data.channel ?? "");
  await notify(env, creatorId, {
    kind: "handover",
    title: "A conversation is waiting for a human",
    body: `A visitor on ${channel === "widget" ? "web" : channel} asked for a person.`,
    data: { conversation_id: conversationId, channel },
  });
  if (!config(env).notifications.emailHandoverWhenNoAgentOnline) return;
  if ((await inboxStub(env, creatorId).online()) > 0) return;
  const t = tenant(env.DB, creatorId);
  const active = await t.db.select({ email: members.email, role: members.role }).from(members).where(and(t.where(members, eq(members.status, "active")), inArray(members.role, ["owner", "agent"]))).all();
  // The agents; a creator without agents hears it themself.
  const agents = active.filter((m) => m.role === "agent");
  const to = agents.length ? agents : active.filter((m) => m.role === "owner");
  const link = `${config(env).publicBaseUrl}/app/conversations/${conversationId}`;
  const sender = mailSender(env);
  await Promise.all(
    to.map((m) => sender.send({ to: m.email, subject: "A conversation is waiting for a human", text: `A visitor asked for a person and no one is in the inbox right now.\n\nOpen the conversation: ${link}\n` })),
  );
}
