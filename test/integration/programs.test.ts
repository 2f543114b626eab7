// Programs: CRUD, flow validation (lenient on save, strict on publish, every problem listed),
// versions, archive, and the /api/v1/creators/programs aliases.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { coachingFlow, edge, node, simpleFlow } from "../support/flows";

const json = async (res: Response) => (await res.json()) as Record<string, any>;

async function createProgram(token: string, body: Record<string, unknown> = {}) {
  const res = await api("/api/v1/programs", { method: "POST", token, json: { name: "Habits 101", description: "Build habits", flow_definition: coachingFlow(), ...body } });
  expect(res.status).toBe(201);
  return json(res);
}

describe("programs CRUD", () => {
  it("creates a draft version 1, lists, reads with analytics, updates", async () => {
    const owner = await createCreator();
    const p = await createProgram(owner.access_token, { settings: { auto_enroll: false, completion_badge: "graduate" } });
    expect(p).toMatchObject({ name: "Habits 101", status: "draft", version: 1, published_version: null, enrollment_count: 0, completion_rate: 0, settings: { completion_badge: "graduate" } });
    expect(p.flow_definition.nodes).toHaveLength(10);

    const list = await json(await api("/api/v1/programs?status=draft&search=habit", { token: owner.access_token }));
    expect(list.programs.map((x: any) => x.id)).toEqual([p.id]);
    expect(list.programs[0].flow_definition).toBeUndefined();
    expect(list.pagination).toEqual({ page: 1, limit: 20, total: 1, pages: 1 });
    expect((await json(await api("/api/v1/programs?status=published", { token: owner.access_token }))).programs).toEqual([]);

    const got = await json(await api(`/api/v1/programs/${p.id}`, { token: owner.access_token }));
    expect(got.analytics).toEqual({
      total_enrollments: 0, active_enrollments: 0, paused_enrollments: 0, completed_enrollments: 0, cancelled_enrollments: 0,
      completion_rate: 0, average_completion_time_days: null, engagement_score: null,
    });

    const upd = await json(await api(`/api/v1/programs/${p.id}`, { method: "PUT", token: owner.access_token, json: { name: "Habits 102", description: null } }));
    expect(upd).toMatchObject({ name: "Habits 102", description: null, status: "draft", version: 1 });
  });

  it("serves the same programs under /api/v1/creators/programs", async () => {
    const owner = await createCreator();
    const res = await api("/api/v1/creators/programs", { method: "POST", token: owner.access_token, json: { name: "Alias", flow_definition: simpleFlow() } });
    expect(res.status).toBe(201);
    const p = await json(res);
    expect((await json(await api("/api/v1/programs", { token: owner.access_token }))).programs[0].id).toBe(p.id);
    const put = await api(`/api/v1/creators/programs/${p.id}`, { method: "PUT", token: owner.access_token, json: { name: "Alias 2" } });
    expect(put.status).toBe(200);
    const pub = await json(await api(`/api/v1/creators/programs/${p.id}/publish`, { method: "POST", token: owner.access_token }));
    expect(pub).toMatchObject({ status: "published", version: 2 });
    expect((await json(await api(`/api/v1/creators/programs`, { token: owner.access_token }))).programs[0].name).toBe("Alias 2");
  });

  it("rejects bad bodies with one detail per field and changes nothing", async () => {
    const owner = await createCreator();
    const res = await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "", flow_definition: { nodes: "x" }, settings: { auto_enroll: "yes" }, creator_id: "x" } });
    expect(res.status).toBe(422);
    const fields = (await errorOf(res)).details.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(["name", "flow_definition.nodes", "flow_definition.edges", "settings.auto_enroll"]));
    expect((await json(await api("/api/v1/programs", { token: owner.access_token }))).pagination.total).toBe(0);
    expect((await api(`/api/v1/programs/${crypto.randomUUID()}`, { token: owner.access_token })).status).toBe(404);
  });

  it("an agent (read only) can list but not create", async () => {
    const { inviteAndAccept } = await import("../helpers");
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    expect((await api("/api/v1/programs", { token: agent.access_token })).status).toBe(200);
    expect((await api("/api/v1/programs", { method: "POST", token: agent.access_token, json: { name: "x", flow_definition: simpleFlow() } })).status).toBe(403);
  });
});

describe("flow validation", () => {
  async function saveErrors(token: string, flow: unknown) {
    const res = await api("/api/v1/programs", { method: "POST", token, json: { name: "Bad", flow_definition: flow } });
    return { status: res.status, details: res.status === 422 ? (await errorOf(res)).details : [] };
  }
  async function publishErrors(token: string, flow: unknown) {
    const created = await api("/api/v1/programs", { method: "POST", token, json: { name: "Draft", flow_definition: flow } });
    expect(created.status).toBe(201);
    const id = (await json(created)).id;
    const res = await api(`/api/v1/programs/${id}/publish`, { method: "POST", token });
    const body = res.status === 422 ? await errorOf(res) : null;
    const after = await json(await api(`/api/v1/programs/${id}`, { token }));
    return { status: res.status, details: body?.details ?? [], after };
  }

  it("save: unknown types, duplicate ids, dangling edges and bad data are all listed at once", async () => {
    const owner = await createCreator();
    const { status, details } = await saveErrors(owner.access_token, {
      nodes: [node("start", "start"), node("a", "teleport"), node("a", "send_message", { message: 5, delay_hours: -1 }), node("w", "wait", { until_local_time: "25:00" })],
      edges: [edge("start", "a"), edge("a", "ghost"), { id: "e9", source: "nowhere", target: "start" }],
    });
    expect(status).toBe(422);
    const msg = details.map((d) => `${d.field}: ${d.message}`).join("\n");
    expect(msg).toContain("flow_definition.nodes.1.type: unknown node type 'teleport'");
    expect(msg).toContain("flow_definition.nodes.2.id: duplicate node id 'a'");
    expect(msg).toMatch(/flow_definition\.nodes\.2\.data\.message/);
    expect(msg).toMatch(/flow_definition\.nodes\.2\.data\.delay_hours/);
    expect(msg).toMatch(/flow_definition\.nodes\.3\.data\.until_local_time: must be a local time/);
    expect(msg).toContain("flow_definition.edges.1.target: edge 'a-ghost' ends at unknown node 'ghost'");
    expect(msg).toContain("flow_definition.edges.2.source: edge 'e9' starts at unknown node 'nowhere'");
  });

  it("save accepts an incomplete draft that publish then refuses, listing every problem", async () => {
    const owner = await createCreator();
    const flow = {
      nodes: [node("s1", "start"), node("s2", "start"), node("q", "question", { question: "Goal?" }), node("m", "send_message", {}), node("lonely", "tag", { tag: "x" }), node("c", "condition", { field: "tags", operator: "contains", value: "x" })],
      edges: [edge("s1", "q"), edge("q", "m"), edge("m", "c"), edge("c", "m", "true")],
    };
    expect((await saveErrors(owner.access_token, flow)).status).toBe(201);
    const { status, details, after } = await publishErrors(owner.access_token, flow);
    expect(status).toBe(422);
    const msg = details.map((d) => `${d.field}: ${d.message}`).join("\n");
    expect(msg).toContain("flow_definition.nodes: a flow needs exactly one start node (found 2)");
    expect(msg).toMatch(/flow_definition\.nodes\.2\.data\.key/); // question without its profile key
    expect(msg).toMatch(/flow_definition\.nodes\.3\.data\.message/); // message without text
    expect(msg).toContain("node 'lonely' is not reachable from start");
    expect(msg).toContain("node 'lonely' needs exactly one outgoing edge (found 0)");
    expect(msg).toContain("condition 'c' needs exactly one 'false' edge");
    expect(msg).toContain("cycle without a wait or question: m → c → m");
    expect(after).toMatchObject({ status: "draft", published_version: null });
  });

  it("publish: a loop through a wait or a question is fine; a timeout edge needs timeout_hours", async () => {
    const owner = await createCreator();
    const loop = {
      nodes: [node("start", "start"), node("m", "send_message", { message: "Daily check-in" }), node("w", "wait", { days: 1 }), node("end", "end")],
      edges: [edge("start", "m"), edge("m", "w"), edge("w", "m")],
    };
    const ok = await publishErrors(owner.access_token, loop);
    expect(ok.details.filter((d) => /cycle/.test(d.message))).toEqual([]);
    expect(ok.details.map((d) => d.message)).toContain("node 'end' is not reachable from start");

    const q = {
      nodes: [node("start", "start"), node("q", "question", { question: "?", key: "k" }), node("end", "end"), node("t", "end")],
      edges: [edge("start", "q"), edge("q", "end"), edge("q", "t", "timeout"), edge("end", "q"), edge("t", "start")],
    };
    const bad = await publishErrors(owner.access_token, q);
    const msgs = bad.details.map((d) => d.message);
    expect(msgs).toContain("question 'q' has a timeout edge but no timeout_hours");
    expect(msgs).toContain("end node 'end' can't have outgoing edges");
    expect(msgs).toContain("no edge may lead back to the start node");
  });

  it("publish needs a wait to have a duration or a time", async () => {
    const owner = await createCreator();
    const flow = { nodes: [node("start", "start"), node("w", "wait", {}), node("end", "end")], edges: [edge("start", "w"), edge("w", "end")] };
    const { details } = await publishErrors(owner.access_token, flow);
    expect(details).toEqual([{ field: "flow_definition.nodes.1.data", message: "a wait needs a duration (days, hours, minutes) or until_local_time" }]);
  });
});

describe("enrolment endpoints reject malformed ids", () => {
  it("422 for non-uuid user or program ids, 404 for unknown ones", async () => {
    const owner = await createCreator();
    for (const path of ["/api/v1/users/x/programs/y/enroll", `/api/v1/users/${crypto.randomUUID()}/programs/nope/pause`]) {
      const res = await api(path, { method: "POST", token: owner.access_token });
      expect(res.status, path).toBe(422);
    }
    expect((await api(`/api/v1/users/${crypto.randomUUID()}/programs/${crypto.randomUUID()}`, { token: owner.access_token })).status).toBe(404);
    expect((await api(`/api/v1/users/${crypto.randomUUID()}/programs/${crypto.randomUUID()}/enroll`, { method: "POST" })).status).toBe(401);
  });
});

describe("versions", () => {
  it("every publish makes a new immutable version (1 → publish → 2, as the spec shows); editing a published program makes a draft; archive stops changes", async () => {
    const owner = await createCreator();
    const t = owner.access_token;
    const p = await createProgram(t, { flow_definition: simpleFlow("v1 text") });
    expect(p).toMatchObject({ status: "draft", version: 1, published_version: null });
    const pub1 = await json(await api(`/api/v1/programs/${p.id}/publish`, { method: "POST", token: t }));
    expect(pub1).toMatchObject({ status: "published", version: 2, published_version: 2 });
    expect(pub1.published_at).toEqual(expect.any(String));
    // Publishing again without changes freezes nothing new.
    expect(await json(await api(`/api/v1/programs/${p.id}/publish`, { method: "POST", token: t }))).toMatchObject({ version: 2, published_version: 2 });

    const edited = await json(await api(`/api/v1/programs/${p.id}`, { method: "PUT", token: t, json: { flow_definition: simpleFlow("v2 text") } }));
    expect(edited).toMatchObject({ status: "draft", version: 2, published_version: 2 });
    const edited2 = await json(await api(`/api/v1/programs/${p.id}`, { method: "PUT", token: t, json: { name: "Renamed" } }));
    expect(edited2).toMatchObject({ status: "draft", version: 2, published_version: 2 });
    const pub2 = await json(await api(`/api/v1/programs/${p.id}/publish`, { method: "POST", token: t }));
    expect(pub2).toMatchObject({ status: "published", version: 3, published_version: 3 });
    // Two immutable rows: version 2 still holds the first flow, version 3 the edited one.
    const versions = await env.DB.prepare("SELECT version, flow_definition FROM program_versions WHERE program_id = ? ORDER BY version").bind(p.id).all<{ version: number; flow_definition: string }>();
    expect(versions.results.map((v) => v.version)).toEqual([2, 3]);
    expect(versions.results[0]!.flow_definition).toContain("v1 text");
    expect(versions.results[0]!.flow_definition).not.toContain("v2 text");
    expect(versions.results[1]!.flow_definition).toContain("v2 text");
    // Two concurrent publishes of one draft make one new version.
    await api(`/api/v1/programs/${p.id}`, { method: "PUT", token: t, json: { flow_definition: simpleFlow("v3 text") } });
    const racing = await Promise.all([1, 2].map(() => api(`/api/v1/programs/${p.id}/publish`, { method: "POST", token: t })));
    expect(racing.map((r) => r.status)).toEqual([200, 200]);
    const count = await env.DB.prepare("SELECT count(*) AS n, max(version) AS v FROM program_versions WHERE program_id = ?").bind(p.id).first<{ n: number; v: number }>();
    expect(count).toEqual({ n: 3, v: 4 });

    const archived = await json(await api(`/api/v1/programs/${p.id}/archive`, { method: "POST", token: t }));
    expect(archived).toMatchObject({ status: "archived" });
    expect((await api(`/api/v1/programs/${p.id}`, { method: "PUT", token: t, json: { name: "x" } })).status).toBe(409);
    expect((await api(`/api/v1/programs/${p.id}/publish`, { method: "POST", token: t })).status).toBe(409);
  });
});
