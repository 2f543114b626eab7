// Small factories for integration tests: real requests through the Worker, real D1.
import { env, exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import type { ConversationState } from "../src/realtime";

let counter = 0;
export const STRONG_PASSWORD = "Correct-Horse-Battery-9";

export function api(path: string, init: RequestInit & { json?: unknown; token?: string; ip?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    init.body = JSON.stringify(init.json);
  }
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  headers.set("CF-Connecting-IP", init.ip ?? `10.0.${counter % 250}.${(counter++ % 250) + 1}`);
  return (exports as { default: Fetcher }).default.fetch(`http://localhost${path}`, { ...init, headers });
}

export interface Session {
  access_token: string;
  refresh_token: string;
  creator: { id: string; email: string; member: { id: string; role: string } };
}

export async function createCreator(overrides: Partial<{ email: string; full_name: string; password: string }> = {}): Promise<Session & { email: string; password: string }> {
  const email = overrides.email ?? `creator-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = overrides.password ?? STRONG_PASSWORD;
  const res = await api("/api/v1/auth/register", {
    method: "POST",
    json: { email, password, full_name: overrides.full_name ?? "Test Creator" },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return { ...((await res.json()) as Session), email, password };
}

export async function errorOf(res: Response) {
  const body = (await res.json()) as { error: { code: string; message: string; details: { field: string; message: string }[]; request_id: string; timestamp: string } };
  return body.error;
}

/** Reads the (logged) mail sent to `to` while `action` runs; the local mail sender logs mails. */
export async function captureMail(to: string, action: () => Promise<unknown>): Promise<string | null> {
  const spy = vi.spyOn(console, "log");
  try {
    await action();
    const line = spy.mock.calls.map((c) => String(c[0])).find((l) => l.includes("mail.sent") && l.includes(to.toLowerCase()));
    return line ? (JSON.parse(line).body as string) : null;
  } finally {
    spy.mockRestore();
  }
}

/** Invites a team member as the owner and accepts the invitation: a signed-in admin or agent. */
export async function inviteAndAccept(ownerToken: string, role: "admin" | "agent") {
  const email = `${role}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const body = await captureMail(email, async () => {
    const res = await api("/api/v1/team/members", { method: "POST", token: ownerToken, json: { email, full_name: `The ${role}`, role } });
    expect(res.status).toBe(201);
  });
  const token = /Invitation token: (\S+)/.exec(body!)![1]!;
  const accepted = await api("/api/v1/auth/invitations/accept", { method: "POST", json: { token, password: STRONG_PASSWORD } });
  expect(accepted.status).toBe(200);
  return { ...((await accepted.json()) as Session), email, inviteToken: token };
}

/** A conversation object's state as the outbox hands it to the mirror: an AI conversation unless `fields` say otherwise. */
export function conversationState(fields: Pick<ConversationState, "conversationId" | "creatorId" | "endUserId" | "channel"> & Partial<ConversationState>): ConversationState {
  return { knowledgeBaseId: null, status: "active", handover: "ai", agent: null, contextResetSeq: 0, clearContext: false, pendingReplyFor: null, ...fields };
}

/** A web conversation with its end user, in D1 only (no object), and its state for a mirror flush. */
export async function createMirroredConversation(creatorId: string): Promise<ConversationState> {
  const conversationId = crypto.randomUUID();
  const endUserId = crypto.randomUUID();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO end_users (id, creator_id, channel, external_id) VALUES (?, ?, 'web', ?)").bind(endUserId, creatorId, `w-${endUserId}`),
    env.DB.prepare("INSERT INTO conversations (id, creator_id, end_user_id, channel) VALUES (?, ?, ?, 'web')").bind(conversationId, creatorId, endUserId),
  ]);
  return conversationState({ conversationId, creatorId, endUserId, channel: "web" });
}
