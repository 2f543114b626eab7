import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, captureMail, createCreator, errorOf, inviteAndAccept, STRONG_PASSWORD } from "../helpers";

const json = async (res: Response) => (await res.json()) as Record<string, any>;

describe("team members", () => {
  it("invites an agent who accepts, signs in and joins the owner's workspace with the agent role", async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const me = await json(await api("/api/v1/auth/me", { token: agent.access_token }));
    expect(me.id).toBe(owner.creator.id);
    expect(me.member).toMatchObject({ role: "agent", status: "active", email: agent.email });
    expect(me.permissions).toEqual(["read", "conversations"]);
    const login = await api("/api/v1/auth/login", { method: "POST", json: { email: agent.email, password: STRONG_PASSWORD } });
    expect(login.status).toBe(200);
  });

  it("lists the owner and members, pending invitations included", async () => {
    const owner = await createCreator();
    await inviteAndAccept(owner.access_token, "admin");
    const pendingEmail = `pending-${crypto.randomUUID().slice(0, 6)}@example.com`;
    await api("/api/v1/team/members", { method: "POST", token: owner.access_token, json: { email: pendingEmail, full_name: "P", role: "agent" } });
    const list = await json(await api("/api/v1/team/members", { token: owner.access_token }));
    expect(list.total).toBe(3);
    expect(list.members.map((m: any) => m.role).sort()).toEqual(["admin", "agent", "owner"]);
    expect(list.members.find((m: any) => m.email === pendingEmail).status).toBe("invited");
    expect(JSON.stringify(list)).not.toMatch(/password|hash/i);
  });

  it("an invitation is single use and expires", async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const again = await api("/api/v1/auth/invitations/accept", { method: "POST", json: { token: agent.inviteToken, password: STRONG_PASSWORD } });
    expect(again.status).toBe(422);

    const email = `late-${crypto.randomUUID().slice(0, 6)}@example.com`;
    const mail = await captureMail(email, () =>
      api("/api/v1/team/members", { method: "POST", token: owner.access_token, json: { email, full_name: "Late", role: "agent" } }),
    );
    const token = /Invitation token: (\S+)/.exec(mail!)![1]!;
    await env.DB.prepare("UPDATE one_time_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE purpose = 'invitation' AND creator_id = ?").bind(owner.creator.id).run();
    expect((await api("/api/v1/auth/invitations/accept", { method: "POST", json: { token, password: STRONG_PASSWORD } })).status).toBe(422);
  });

  it("refuses an email that already has an account (409) and bad roles (422)", async () => {
    const owner = await createCreator();
    const other = await createCreator();
    const dup = await api("/api/v1/team/members", { method: "POST", token: owner.access_token, json: { email: other.email, full_name: "X", role: "agent" } });
    expect(dup.status).toBe(409);
    const bad = await api("/api/v1/team/members", { method: "POST", token: owner.access_token, json: { email: "x@example.com", full_name: "X", role: "owner" } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details[0]!.field).toBe("role");
  });

  it("changes a role, effective on the member's next request", async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    expect((await api("/api/v1/team/members", { method: "POST", token: agent.access_token, json: { email: "z@example.com", full_name: "Z", role: "agent" } })).status).toBe(403);
    const res = await api(`/api/v1/team/members/${agent.creator.member.id}`, { method: "PUT", token: owner.access_token, json: { role: "admin" } });
    expect(res.status).toBe(200);
    expect((await json(res)).role).toBe("admin");
    const me = await json(await api("/api/v1/auth/me", { token: agent.access_token }));
    expect(me.permissions).toContain("admin");
  });

  it("lets only the owner manage admins, and nobody change or remove the owner", async () => {
    const owner = await createCreator();
    const admin = await inviteAndAccept(owner.access_token, "admin");
    const admin2 = await inviteAndAccept(owner.access_token, "admin");
    expect((await api(`/api/v1/team/members/${admin2.creator.member.id}`, { method: "DELETE", token: admin.access_token })).status).toBe(403);
    expect((await api("/api/v1/team/members", { method: "POST", token: admin.access_token, json: { email: "a2@example.com", full_name: "A", role: "admin" } })).status).toBe(403);
    expect((await api(`/api/v1/team/members/${owner.creator.id}`, { method: "PUT", token: owner.access_token, json: { role: "agent" } })).status).toBe(403);
    expect((await api(`/api/v1/team/members/${owner.creator.id}`, { method: "DELETE", token: admin.access_token })).status).toBe(403);
    // An admin may invite agents.
    expect((await api("/api/v1/team/members", { method: "POST", token: admin.access_token, json: { email: `ag-${crypto.randomUUID().slice(0, 6)}@example.com`, full_name: "A", role: "agent" } })).status).toBe(201);
  });

  it("removing a member ends their sessions at once", async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const res = await api(`/api/v1/team/members/${agent.creator.member.id}`, { method: "DELETE", token: owner.access_token });
    expect(res.status).toBe(204);
    expect((await api("/api/v1/auth/me", { token: agent.access_token })).status).toBe(401);
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: agent.refresh_token } })).status).toBe(401);
    expect((await api(`/api/v1/team/members/${agent.creator.member.id}`, { method: "DELETE", token: owner.access_token })).status).toBe(404);
  });

  it("validates the member id", async () => {
    const owner = await createCreator();
    const res = await api("/api/v1/team/members/not-a-uuid", { method: "DELETE", token: owner.access_token });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details[0]!.field).toBe("member_id");
  });
});

describe("GET/PUT /api/v1/creators/profile", () => {
  it("reads and updates the profile; settings merge key by key", async () => {
    const s = await createCreator();
    const put1 = await api("/api/v1/creators/profile", { method: "PUT", token: s.access_token, json: { company_name: "Acme Coaching", timezone: "Europe/Berlin", settings: { fallback_text: "Ask me later" } } });
    expect(put1.status).toBe(200);
    await api("/api/v1/creators/profile", { method: "PUT", token: s.access_token, json: { settings: { handover_threshold: 0.3 } } });
    const got = await json(await api("/api/v1/creators/profile", { token: s.access_token }));
    expect(got).toMatchObject({ company_name: "Acme Coaching", timezone: "Europe/Berlin", settings: { fallback_text: "Ask me later", handover_threshold: 0.3 } });
  });

  it("rejects unknown fields, bad URLs and time zones (422) and changes nothing", async () => {
    const s = await createCreator();
    for (const body of [{ nickname: "x" }, { website_url: "not a url" }, { timezone: "Nowhere/Land" }, { full_name: "" }]) {
      const res = await api("/api/v1/creators/profile", { method: "PUT", token: s.access_token, json: body });
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    // email is part of the profile's GET representation: read-only, so a PUT may carry it and it is ignored.
    expect((await api("/api/v1/creators/profile", { method: "PUT", token: s.access_token, json: { email: "x@y.z" } })).status).toBe(200);
    const got = await json(await api("/api/v1/creators/profile", { token: s.access_token }));
    expect(got.email).toBe(s.email);
    expect(got.timezone).toBe("UTC");
    expect(got.full_name).toBe("Test Creator");
  });

  it("is read-only for agents", async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    expect((await api("/api/v1/creators/profile", { token: agent.access_token })).status).toBe(200);
    expect((await api("/api/v1/creators/profile", { method: "PUT", token: agent.access_token, json: { bio: "hi" } })).status).toBe(403);
  });
});
