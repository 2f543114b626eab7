// Tenancy proof: creator B can't read, list, change or delete anything of creator A (404, empty lists).
// Every module adds its resource types to RESOURCES below.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createCreator, inviteAndAccept, type Session } from "../helpers";
import { createEndUser } from "../support/engine";
import { simpleFlow } from "../support/flows";

interface ResourceProbe {
  name: string;
  /** Creates one resource as `owner` and returns its id. */
  create(owner: Session): Promise<string>;
  /** Requests another creator may try against that id; each must answer 404. */
  foreign(id: string): { method: string; path: string; json?: unknown }[];
  /** A list endpoint that must not show the id to another creator. */
  list?: string;
}

const RESOURCES: ResourceProbe[] = [
  {
    name: "team member",
    async create(owner) {
      const agent = await inviteAndAccept(owner.access_token, "agent");
      return agent.creator.member.id;
    },
    foreign: (id) => [
      { method: "PUT", path: `/api/v1/team/members/${id}`, json: { role: "admin" } },
      { method: "DELETE", path: `/api/v1/team/members/${id}` },
    ],
    list: "/api/v1/team/members",
  },
  {
    name: "owner membership",
    create: async (owner) => owner.creator.id,
    foreign: (id) => [
      { method: "PUT", path: `/api/v1/team/members/${id}`, json: { role: "agent" } },
      { method: "DELETE", path: `/api/v1/team/members/${id}` },
    ],
    list: "/api/v1/team/members",
  },
  {
    name: "end user",
    create: (owner) => createEndUser({ creatorId: owner.creator.id }),
    foreign: (id) => [
      { method: "GET", path: `/api/v1/users/${id}` },
      { method: "PUT", path: `/api/v1/users/${id}`, json: { language: "en" } },
    ],
    list: "/api/v1/users",
  },
  {
    name: "program",
    async create(owner) {
      const res = await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "Mine", flow_definition: simpleFlow() } });
      return ((await res.json()) as { id: string }).id;
    },
    foreign: (id) => [
      { method: "GET", path: `/api/v1/programs/${id}` },
      { method: "PUT", path: `/api/v1/programs/${id}`, json: { name: "stolen" } },
      { method: "POST", path: `/api/v1/programs/${id}/publish` },
      { method: "POST", path: `/api/v1/programs/${id}/archive` },
      { method: "PUT", path: `/api/v1/creators/programs/${id}`, json: { name: "stolen" } },
    ],
    list: "/api/v1/programs",
  },
  {
    name: "enrolment",
    async create(owner) {
      const userId = await createEndUser({ creatorId: owner.creator.id });
      const res = await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "E", flow_definition: simpleFlow() } });
      const programId = ((await res.json()) as { id: string }).id;
      await api(`/api/v1/programs/${programId}/publish`, { method: "POST", token: owner.access_token });
      await api(`/api/v1/users/${userId}/programs/${programId}/enroll`, { method: "POST", token: owner.access_token });
      return `${userId}/programs/${programId}`;
    },
    foreign: (path) => ["", "/pause", "/resume", "/cancel", "/enroll"].map((suffix) => ({ method: suffix ? "POST" : "GET", path: `/api/v1/users/${path}${suffix}` })),
  },
  {
    name: "proactive rule",
    async create(owner) {
      const res = await api("/api/v1/proactive-engine/rules", {
        method: "POST",
        token: owner.access_token,
        json: { name: "Mine", trigger_conditions: { type: "inactivity", threshold_hours: 24 }, actions: [{ type: "send_message", message_template: "hi" }] },
      });
      return ((await res.json()) as { id: string }).id;
    },
    foreign: (id) => [
      { method: "GET", path: `/api/v1/proactive-engine/rules/${id}` },
      { method: "PUT", path: `/api/v1/proactive-engine/rules/${id}`, json: { is_active: false } },
      { method: "DELETE", path: `/api/v1/proactive-engine/rules/${id}` },
      { method: "POST", path: `/api/v1/proactive-engine/rules/${id}/preview` },
    ],
    list: "/api/v1/proactive-engine/rules",
  },
];

describe("tenancy: another creator's resources are invisible", () => {
  let a: Session & { email: string };
  let b: Session & { email: string };
  beforeAll(async () => {
    a = await createCreator();
    b = await createCreator();
  });

  for (const probe of RESOURCES) {
    it(`${probe.name}: 404 for every foreign request, absent from lists, unchanged`, async () => {
      const id = await probe.create(a);
      for (const req of probe.foreign(id)) {
        const res = await api(req.path, { method: req.method, token: b.access_token, json: req.json });
        expect(res.status, `${req.method} ${req.path}`).toBe(404);
      }
      if (probe.list) {
        const text = await (await api(probe.list, { token: b.access_token })).text();
        expect(text).not.toContain(id);
        const own = await (await api(probe.list, { token: a.access_token })).text();
        expect(own).toContain(id);
      }
    });
  }

  it("profile and me show only the caller's own workspace", async () => {
    const profile = (await (await api("/api/v1/creators/profile", { token: b.access_token })).json()) as { id: string };
    expect(profile.id).toBe(b.creator.id);
    await api("/api/v1/creators/profile", { method: "PUT", token: b.access_token, json: { company_name: "B Corp" } });
    const mine = (await (await api("/api/v1/creators/profile", { token: a.access_token })).json()) as { company_name: string | null };
    expect(mine.company_name).toBeNull();
  });

  it("a body can't choose the tenant: creator_id in a request body is refused or ignored", async () => {
    const res = await api("/api/v1/creators/profile", { method: "PUT", token: b.access_token, json: { creator_id: a.creator.id, bio: "x" } });
    expect(res.status).toBe(422);
  });

  it("the data export holds only the caller's rows", async () => {
    const exp = (await (await api("/api/v1/auth/gdpr/data-export", { token: b.access_token })).json()) as { data: Record<string, Record<string, unknown>[]> };
    for (const [table, rows] of Object.entries(exp.data)) {
      for (const row of rows) {
        const owner = table === "creators" ? row.id : row.creator_id;
        expect(owner, table).toBe(b.creator.id);
      }
    }
    const total = await env.DB.prepare("SELECT count(*) AS n FROM members").first<{ n: number }>();
    expect(total!.n).toBeGreaterThan(exp.data.members!.length);
  });

  it("tokens of one creator can't act on the other's sessions", async () => {
    const res = await api("/api/v1/auth/tokens/revoke", { method: "POST", token: b.access_token, json: { token: a.refresh_token } });
    expect(await res.json()).toEqual({ revoked: false });
    expect((await api("/api/v1/auth/me", { token: a.access_token })).status).toBe(200);
  });
});
