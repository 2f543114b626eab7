// A PUT accepts the resource's own GET representation (issue 11, "API ergonomics"): for every PUT and
// PATCH route of /openapi.json, GET the resource and send it back unchanged as the body → 200 and
// nothing changed; the read-only fields are marked readOnly in the OpenAPI document; an unknown field
// is still a 422 that changes nothing. The route list comes from the document, so a new PUT route
// without a fixture here fails the test.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { app } from "../../src/app";
import { describe, expect, it } from "vitest";
import { connectTelegram } from "../channel-helpers";
import { api, createCreator, inviteAndAccept } from "../helpers";
import { createKb, upload, waitForDocument } from "../knowledge-helpers";
import { openSession, widgetKeyOf } from "../realtime";
import { createEndUser } from "../support/engine";
import { simpleFlow } from "../support/flows";

type Json = Record<string, any>;
/** Many requests per member: through the app with the rate limits off (they'd only test the limiter). */
async function call(path: string, init: { method?: string; token: string; json?: unknown }): Promise<Response> {
  const headers = new Headers({ Authorization: `Bearer ${init.token}` });
  if (init.json !== undefined) headers.set("Content-Type", "application/json");
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`http://localhost${path}`, { method: init.method ?? "GET", headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) }),
    { ...env, RATE_LIMITS_ENABLED: "false", PLAN_LIMITS_ENABLED: "false" },
    ctx,
  );
  const copy = new Response(await res.arrayBuffer(), res);
  await waitOnExecutionContext(ctx);
  return copy;
}
/** PUT routes with no GET representation of the same resource (the operator's plan is set, never read back here). */
const NO_REPRESENTATION = new Set(["PUT /api/v1/operator/creators/{creator_id}/plan"]);
/** Timestamps a write may move even when no field changed. */
const MOVES_ON_WRITE = ["updated_at"];

interface Fixture {
  /** The concrete path of the PUT (and of the GET, unless `read` says otherwise). */
  path: string;
  token: string;
  /** The GET representation of the resource. */
  read: () => Promise<Json>;
}

async function fixtures(): Promise<Record<string, Fixture>> {
  const owner = await createCreator();
  const t = owner.access_token;
  const get = (path: string, token = t) => async () => {
    const res = await call(path, { token });
    expect(res.status, path).toBe(200);
    return (await res.json()) as Json;
  };
  const program = (await (await api("/api/v1/programs", { method: "POST", token: t, json: { name: "Round trip", flow_definition: simpleFlow() } })).json()) as Json;
  const user = await createEndUser({ creatorId: owner.creator.id, name: "Lena" });
  const agent = await inviteAndAccept(t, "agent");
  const rule = (await (
    await api("/api/v1/proactive-engine/rules", {
      method: "POST",
      token: t,
      json: { name: "Nudge", trigger_conditions: { type: "inactivity", threshold_hours: 24, applies_to: "all_users" }, actions: [{ type: "send_message", message_template: "Hey {user_name}!" }] },
    })
  ).json()) as Json;
  const channel = await connectTelegram(owner);
  const kb = await createKb(t);
  const doc = (await (await upload(t, kb.id, "notes.md", "# Rest days\nTake two rest days a week.")).json()) as Json;
  await waitForDocument(doc.id);
  const hook = (await (await api("/api/v1/webhooks", { method: "POST", token: t, json: { url: `${env.WEBHOOK_RECEIVER_URL}/k-${crypto.randomUUID()}`, events: ["user.created"] } })).json()) as Json;
  const session = await openSession(await widgetKeyOf(t));
  const memberOf = async () => {
    const list = (await get("/api/v1/team/members")()) as Json;
    return (list.members as Json[]).find((m) => m.id === agent.creator.member.id)!;
  };
  const at = (path: string): Fixture => ({ path, token: t, read: get(path) });
  return {
    "PUT /api/v1/creators/profile": at("/api/v1/creators/profile"),
    "PUT /api/v1/creators/assistant": at("/api/v1/creators/assistant"),
    "PUT /api/v1/creators/widget/config": at("/api/v1/creators/widget/config"),
    "PUT /api/v1/programs/{program_id}": at(`/api/v1/programs/${program.id}`),
    "PUT /api/v1/creators/programs/{program_id}": at(`/api/v1/creators/programs/${program.id}`),
    "PUT /api/v1/users/{user_id}": at(`/api/v1/users/${user}`),
    "PUT /api/v1/team/members/{member_id}": { path: `/api/v1/team/members/${agent.creator.member.id}`, token: t, read: memberOf },
    "PUT /api/v1/proactive-engine/rules/{rule_id}": at(`/api/v1/proactive-engine/rules/${rule.id}`),
    "PUT /api/v1/channels/{channel_id}": at(`/api/v1/channels/${channel.id}`),
    "PUT /api/v1/knowledge-bases/{knowledge_base_id}": at(`/api/v1/knowledge-bases/${kb.id}`),
    "PUT /api/v1/knowledge-bases/{knowledge_base_id}/documents/{document_id}": at(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`),
    "PUT /api/v1/webhooks/{webhook_id}": at(`/api/v1/webhooks/${hook.id}`),
    "PUT /api/v1/channels/sessions/{session_id}": { path: `/api/v1/channels/sessions/${session.session_id}`, token: session.token, read: get(`/api/v1/channels/sessions/${session.session_id}`, session.token) },
  };
}

const stable = (body: Json) => Object.fromEntries(Object.entries(body).filter(([k]) => !MOVES_ON_WRITE.includes(k)));

describe("PUT accepts the resource's own GET representation", () => {
  it("every PUT/PATCH route: GET → PUT the same body → 200 and nothing changed; an unknown field → 422 and nothing changed; read-only fields are readOnly in /openapi.json", { timeout: 120_000 }, async () => {
    const doc = (await (await api("/openapi.json")).json()) as Json;
    const routes = Object.entries(doc.paths as Record<string, Json>).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m === "put" || m === "patch")
        .map((m) => ({ key: `${m.toUpperCase()} ${path}`, op: ops[m] as Json })),
    );
    const all = await fixtures();
    const missing = routes.filter((r) => !NO_REPRESENTATION.has(r.key) && !all[r.key]).map((r) => r.key);
    expect(missing, "PUT routes without a round-trip fixture").toEqual([]);
    const failures: string[] = [];
    let checked = 0;
    for (const { key, op } of routes) {
      const f = all[key];
      if (!f) continue;
      const method = key.split(" ")[0]!;
      const before = await f.read();
      const put = await call(f.path, { method, token: f.token, json: before });
      const putText = await put.text();
      if (put.status !== 200) {
        failures.push(`${key}: its own GET sent back → ${put.status} ${putText.slice(0, 300)}`);
        continue;
      }
      const after = await f.read();
      if (JSON.stringify(stable(after)) !== JSON.stringify(stable(before))) failures.push(`${key}: the round trip changed the resource: ${JSON.stringify(before).slice(0, 200)} → ${JSON.stringify(after).slice(0, 200)}`);
      const unknown = await call(f.path, { method, token: f.token, json: { ...before, no_such_field: 1 } });
      if (unknown.status !== 422) failures.push(`${key}: an unknown field → ${unknown.status}`);
      else if (!((await unknown.json()) as Json).error.details.some((d: Json) => /no_such_field|unrecognized/i.test(`${d.field} ${d.message}`))) failures.push(`${key}: the 422 doesn't name the unknown field`);
      if (JSON.stringify(stable(await f.read())) !== JSON.stringify(stable(before))) failures.push(`${key}: the refused request changed the resource`);
      // The document says which fields are read-only: every field GET gives that the body schema doesn't take.
      let schema = op.requestBody?.content?.["application/json"]?.schema as Json;
      for (let i = 0; schema?.$ref && i < 5; i++) schema = schema.$ref.split("/").slice(1).reduce((o: Json, k: string) => o?.[k], doc);
      const props = (schema?.properties ?? {}) as Record<string, Json>;
      const readOnly = Object.keys(props).filter((k) => props[k]!.readOnly);
      for (const field of ["id", "created_at", "updated_at", "widget_key", "embed_code"].filter((k) => k in before)) {
        if (!readOnly.includes(field)) failures.push(`${key}: ${field} is not marked readOnly in /openapi.json`);
      }
      checked++;
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(routes.length - NO_REPRESENTATION.size);
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it("the widget config: its GET (widget_key, embed_code, updated_at …) sent back changes nothing, and a changed title is still applied", async () => {
    const s = await createCreator();
    const got = (await (await api("/api/v1/creators/widget/config", { token: s.access_token })).json()) as Json;
    const put = await api("/api/v1/creators/widget/config", { method: "PUT", token: s.access_token, json: { ...got, title: "New title", widget_key: "wk_forged", embed_code: "<script>evil()</script>" } });
    expect(put.status).toBe(200);
    const body = (await put.json()) as Json;
    expect(body.title).toBe("New title");
    // Read-only fields are ignored, never written.
    expect(body.widget_key).toBe(got.widget_key);
    expect(body.embed_code).not.toContain("evil");
  });
});
