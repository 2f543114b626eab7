// The remaining webhook events where they happen: `user.updated` (PUT /users/{id}), `program.enrolled`
// (an enrolment) and `program.completed` (the run reaching its end), each once, signed per Standard Webhooks.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../channel-helpers";
import { api, createCreator } from "../helpers";
import { createEndUser, Engine, setClock } from "../support/engine";
import { simpleFlow } from "../support/flows";

type Json = Record<string, any>;
const RECEIVER = env.WEBHOOK_RECEIVER_URL;
afterEach(() => setClock(null));

async function received(key: string): Promise<{ headers: Record<string, string>; body: string }[]> {
  return (await (await fetch(`${RECEIVER}/__receiver/requests?key=${key}`)).json()) as { headers: Record<string, string>; body: string }[];
}

describe("user and program webhook events", () => {
  it("user.updated, program.enrolled and program.completed arrive once each, verified with standardwebhooks", { timeout: 60_000 }, async () => {
    const owner = await createCreator();
    const token = owner.access_token;
    const key = `k-${crypto.randomUUID()}`;
    const hook = await api("/api/v1/webhooks", { method: "POST", token, json: { url: `${RECEIVER}/${key}`, events: ["user.updated", "program.enrolled", "program.completed"] } });
    expect(hook.status).toBe(201);
    const secret = ((await hook.json()) as Json).secret as string;

    const user = await createEndUser({ creatorId: owner.creator.id, name: "Lena", timezone: "Europe/Berlin" });
    const put = await api(`/api/v1/users/${user}`, { method: "PUT", token, json: { tags: ["vip"], language: "de" } });
    expect(put.status).toBe(200);
    const created = (await (await api("/api/v1/programs", { method: "POST", token, json: { name: "Hello", flow_definition: simpleFlow() } })).json()) as Json;
    expect((await api(`/api/v1/programs/${created.id}/publish`, { method: "POST", token })).status).toBe(200);
    const enrolled = await api(`/api/v1/users/${user}/programs/${created.id}/enroll`, { method: "POST", token });
    expect(enrolled.status).toBe(201);
    const enrollmentId = ((await enrolled.json()) as Json).enrollment_id as string;
    const engine = new Engine();
    await engine.tick(Date.now() + 60_000);
    await engine.tick(Date.now() + 120_000);
    setClock(null);

    const got = await eventually(async () => {
      const r = await received(key);
      return r.length >= 3 && r;
    }, "three deliveries", 30_000);
    const verifier = new Webhook(secret);
    const payloads = got.map((r) => verifier.verify(r.body, r.headers) as Json);
    expect(payloads.map((p) => p.event).sort()).toEqual(["program.completed", "program.enrolled", "user.updated"]);
    expect(payloads.find((p) => p.event === "user.updated")!.data).toEqual({ user_id: user, changed: ["language", "tags"] });
    expect(payloads.find((p) => p.event === "program.enrolled")!.data).toMatchObject({ enrollment_id: enrollmentId, program_id: created.id, user_id: user, version: 2 });
    expect(payloads.find((p) => p.event === "program.completed")!.data).toMatchObject({ enrollment_id: enrollmentId, program_id: created.id, user_id: user });
    // Another tick does not complete it again.
    await engine.tick(Date.now() + 180_000);
    setClock(null);
    const events = await env.DB.prepare("SELECT type, count(*) AS n FROM activity_events WHERE creator_id = ? AND (type LIKE 'program.%' OR type LIKE 'user.%') GROUP BY type ORDER BY type").bind(owner.creator.id).all<{ type: string; n: number }>();
    expect(events.results).toEqual([
      { type: "program.completed", n: 1 },
      { type: "program.enrolled", n: 1 },
      { type: "user.updated", n: 1 },
    ]);
    // A refused update (bad input) announces nothing.
    expect((await api(`/api/v1/users/${user}`, { method: "PUT", token, json: { tags: "nope" } })).status).toBe(422);
    const after = await env.DB.prepare("SELECT count(*) AS n FROM activity_events WHERE creator_id = ? AND type = 'user.updated'").bind(owner.creator.id).first<{ n: number }>();
    expect(after!.n).toBe(1);
  });
});
