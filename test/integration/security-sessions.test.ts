// Sessions and one-time tokens: absolute lifetime, resets kill every other reset link, members revoke
// only their own refresh tokens, invitations expire.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, captureMail, createCreator, inviteAndAccept, STRONG_PASSWORD } from "../helpers";

const resetToken = async (email: string) => {
  const mail = await captureMail(email, () => api("/api/v1/auth/password/reset/request", { method: "POST", json: { email } }));
  return /Reset token: (\S+)/.exec(mail!)![1]!;
};

describe("sessions", () => {
  it("end at their absolute lifetime however often they are refreshed", async () => {
    const s = await createCreator();
    // The session began 91 days ago (default maximum 90), kept alive by refreshes.
    await env.DB.prepare("UPDATE sessions SET created_at = ? WHERE member_id = ?").bind(new Date(Date.now() - 91 * 86_400_000).toISOString(), s.creator.member.id).run();
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: s.refresh_token } })).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: s.access_token })).status).toBe(401);
  });
});

describe("password reset", () => {
  it("invalidates every other reset token of the account", async () => {
    const s = await createCreator();
    const first = await resetToken(s.email);
    const second = await resetToken(s.email);
    expect((await api("/api/v1/auth/password/reset/confirm", { method: "POST", json: { token: second, new_password: "Brand-New-Password-42" } })).status).toBe(200);
    const stale = await api("/api/v1/auth/password/reset/confirm", { method: "POST", json: { token: first, new_password: "Attacker-Chosen-Pass-99" } });
    expect(stale.status).toBe(422);
    expect((await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: "Brand-New-Password-42" } })).status).toBe(200);
  });
});

describe("POST /api/v1/auth/tokens/revoke with a refresh token", () => {
  it("an agent can't revoke a colleague's refresh token; an admin can", async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const colleague = await inviteAndAccept(owner.access_token, "agent");
    const admin = await inviteAndAccept(owner.access_token, "admin");
    const byAgent = await api("/api/v1/auth/tokens/revoke", { method: "POST", token: agent.access_token, json: { token: colleague.refresh_token, token_type_hint: "refresh_token" } });
    expect(((await byAgent.json()) as { revoked: boolean }).revoked).toBe(false);
    expect((await api("/api/v1/auth/me", { token: colleague.access_token })).status).toBe(200);
    const byAdmin = await api("/api/v1/auth/tokens/revoke", { method: "POST", token: admin.access_token, json: { token: colleague.refresh_token, token_type_hint: "refresh_token" } });
    expect(((await byAdmin.json()) as { revoked: boolean }).revoked).toBe(true);
    expect((await api("/api/v1/auth/me", { token: colleague.access_token })).status).toBe(401);
  });
});

describe("invitations", () => {
  it("expire", async () => {
    const owner = await createCreator();
    const email = `late-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const mail = await captureMail(email, () => api("/api/v1/team/members", { method: "POST", token: owner.access_token, json: { email, full_name: "Late", role: "agent" } }));
    const token = /Invitation token: (\S+)/.exec(mail!)![1]!;
    await env.DB.prepare("UPDATE one_time_tokens SET expires_at = ? WHERE purpose = 'invitation' AND creator_id = ?").bind(new Date(Date.now() - 1000).toISOString(), owner.creator.id).run();
    expect((await api("/api/v1/auth/invitations/accept", { method: "POST", json: { token, password: STRONG_PASSWORD } })).status).toBe(422);
  });
});
