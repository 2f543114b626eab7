// The proactive engine: rules CRUD and validation, every trigger type, audiences, delays, quiet
// hours, the daily cap, opt-outs and unreachable users, the WhatsApp window, at-most-once per
// occurrence under overlapping ticks, analytics and the dry-run preview.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { localParts, localPartsBetween } from "../../src/lib/timezone";
import { onUserMessage } from "../../src/modules/programs/inbound";
import { api, createCreator, errorOf, type Session } from "../helpers";
import { createEndUser, Engine, messagesOf, setClock } from "../support/engine";
import { edge, node } from "../support/flows";

const json = async (res: Response) => (await res.json()) as Record<string, any>;
afterEach(() => setClock(null));
// Multi-day runs are dozens of ticks; on a loaded machine they need more than the default 5 s.
vi.setConfig({ testTimeout: 30_000 });

async function rule(owner: Session, trigger: Record<string, unknown>, actions: Record<string, unknown>[] = [{ type: "send_message", message_template: "Hey {user_name}!" }], name = "Rule") {
  const res = await api("/api/v1/proactive-engine/rules", { method: "POST", token: owner.access_token, json: { name, trigger_conditions: trigger, actions } });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
  return (await json(res)).id as string;
}
const texts = async (userId: string) => (await messagesOf(userId)).map((m) => m.text);
const sendsOf = (userId: string) =>
  env.DB.prepare("SELECT status, skip_reason, occurrence_key, due_at FROM proactive_sends WHERE end_user_id = ? ORDER BY created_at").bind(userId).all<Record<string, any>>().then((r) => r.results);

describe("rules CRUD", () => {
  it("creates the spec's example, lists it with counters, updates, deletes", async () => {
    const owner = await createCreator();
    const res = await api("/api/v1/proactive-engine/rules", {
      method: "POST",
      token: owner.access_token,
      json: {
        name: "Inactivity Follow-up",
        description: "Send follow-up message after 24 hours of inactivity",
        trigger_conditions: { type: "inactivity", threshold_hours: 24, applies_to: "all_users" },
        actions: [{ type: "send_message", message_template: "Hey {user_name}! How are you doing with your goals?", delay_minutes: 0 }],
        is_active: true,
      },
    });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toMatchObject({ name: "Inactivity Follow-up", is_active: true, triggered_count: 0, success_rate: 0, trigger_conditions: { type: "inactivity", threshold_hours: 24 } });
    const list = await json(await api("/api/v1/proactive-engine/rules", { token: owner.access_token }));
    expect(list.rules.map((r: any) => r.id)).toEqual([created.id]);
    const upd = await json(await api(`/api/v1/proactive-engine/rules/${created.id}`, { method: "PUT", token: owner.access_token, json: { is_active: false, name: "Renamed" } }));
    expect(upd).toMatchObject({ is_active: false, name: "Renamed", trigger_conditions: { threshold_hours: 24 } });
    expect((await api(`/api/v1/proactive-engine/rules/${created.id}`, { method: "DELETE", token: owner.access_token })).status).toBe(204);
    expect((await api(`/api/v1/proactive-engine/rules/${created.id}`, { token: owner.access_token })).status).toBe(404);
  });

  it("rejects bad triggers, audiences and actions field by field", async () => {
    const owner = await createCreator();
    const bad = async (body: Record<string, unknown>) => {
      const res = await api("/api/v1/proactive-engine/rules", { method: "POST", token: owner.access_token, json: { name: "x", actions: [{ type: "send_message", message_template: "hi" }], ...body } });
      expect(res.status).toBe(422);
      return (await errorOf(res)).details.map((d) => d.field);
    };
    expect(await bad({ trigger_conditions: { type: "telepathy" } })).toEqual(["trigger_conditions.type"]);
    expect(await bad({ trigger_conditions: { type: "inactivity", threshold_hours: -1 } })).toEqual(["trigger_conditions.threshold_hours"]);
    expect(await bad({ trigger_conditions: { type: "scheduled", daily_at: "9am" } })).toEqual(["trigger_conditions.daily_at"]);
    expect(await bad({ trigger_conditions: { type: "scheduled", cron: "every day" } })).toEqual(["trigger_conditions.cron"]);
    expect(await bad({ trigger_conditions: { type: "scheduled", daily_at: "09:00", cron: "0 9 * * *" } })).toEqual(["trigger_conditions.daily_at"]);
    expect(await bad({ trigger_conditions: { type: "inactivity", threshold_hours: 24, applies_to: {} } })).toEqual(["trigger_conditions.applies_to"]);
    expect(await bad({ trigger_conditions: { type: "milestone", event: "birthday" } })).toEqual(["trigger_conditions.event"]);
    const fields = await bad({ trigger_conditions: { type: "inactivity", threshold_hours: 1 }, actions: [{ type: "send_message", delay_minutes: -5 }, { type: "fax" }] });
    expect(fields).toEqual(expect.arrayContaining(["actions.0.message_template", "actions.0.delay_minutes", "actions.1.type"]));
    expect(await bad({ trigger_conditions: { type: "inactivity", threshold_hours: 1 }, actions: [] })).toEqual(["actions"]);
    expect((await json(await api("/api/v1/proactive-engine/rules", { token: owner.access_token }))).rules).toEqual([]);
  });
});

describe("inactivity", () => {
  it("fires once per user per period of silence, even with overlapping ticks, and again after the next silence", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    setClock("2026-04-10T11:30:00Z");
    await rule(owner, { type: "inactivity", threshold_hours: 24 });
    const silent = await createEndUser({ creatorId: cid, name: "Ida", lastActiveAt: "2026-04-09T11:45:00Z" });
    const chatty = await createEndUser({ creatorId: cid, lastActiveAt: "2026-04-10T10:00:00Z" });
    const never = await createEndUser({ creatorId: cid, lastActiveAt: null });
    const engine = new Engine();
    await engine.tick("2026-04-10T11:40:00Z");
    expect(await texts(silent)).toEqual([]);
    await engine.tickOnly("2026-04-10T11:46:00Z");
    await engine.tickOnly("2026-04-10T11:46:20Z"); // overlapping tick
    await engine.drain();
    await engine.tick("2026-04-10T11:47:00Z");
    expect(await texts(silent)).toEqual(["Hey Ida!"]);
    expect(await texts(chatty)).toEqual([]);
    expect(await texts(never)).toEqual([]);
    // They come back, then go silent again: a new occurrence.
    await env.DB.prepare("UPDATE end_users SET last_active_at = ? WHERE id = ?").bind("2026-04-10T12:00:00Z", silent).run();
    await engine.tick("2026-04-11T12:00:30Z");
    expect(await texts(silent)).toEqual(["Hey Ida!", "Hey Ida!"]);
    await engine.tick("2026-04-11T12:05:00Z");
    expect(await texts(silent)).toHaveLength(2);
  });
});

describe("delivery rules", () => {
  it("quiet hours (21:00–08:00 on the user's clock) defer a send to their end", async () => {
    const owner = await createCreator();
    setClock("2026-04-10T12:59:00Z");
    await rule(owner, { type: "inactivity", threshold_hours: 1 });
    const tokyo = await createEndUser({ creatorId: owner.creator.id, timezone: "Asia/Tokyo", lastActiveAt: "2026-04-10T11:59:30Z" });
    const engine = new Engine();
    await engine.tick("2026-04-10T13:00:00Z"); // 22:00 in Tokyo
    expect(await texts(tokyo)).toEqual([]);
    expect(await sendsOf(tokyo)).toEqual([expect.objectContaining({ status: "pending", skip_reason: "quiet_hours", due_at: "2026-04-10T23:00:00.000Z" })]);
    await engine.tick("2026-04-10T22:59:00Z");
    expect(await texts(tokyo)).toEqual([]);
    await engine.tick("2026-04-10T23:00:00Z"); // 08:00 in Tokyo
    expect(await texts(tokyo)).toEqual(["Hey Sam!"]);
  });

  it("caps proactive messages at 2 per user per local day", async () => {
    const owner = await createCreator();
    setClock("2026-04-10T09:59:00Z");
    for (const n of [1, 2, 3]) await rule(owner, { type: "inactivity", threshold_hours: 1 }, [{ type: "send_message", message_template: `Nudge ${n}` }], `R${n}`);
    const user = await createEndUser({ creatorId: owner.creator.id, lastActiveAt: "2026-04-10T08:59:30Z" });
    await new Engine().tick("2026-04-10T10:00:00Z");
    expect(await texts(user)).toHaveLength(2);
    expect((await sendsOf(user)).map((s) => s.status).sort()).toEqual(["sent", "sent", "skipped"]);
    expect((await sendsOf(user)).find((s) => s.status === "skipped")!.skip_reason).toBe("daily_cap");
  });

  it("skips users who opted out (/stop), unreachable users, and WhatsApp users outside the 24-hour window unless a template is set", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    setClock("2026-04-10T09:00:00Z");
    await rule(owner, { type: "scheduled", daily_at: "10:00" });
    await rule(owner, { type: "scheduled", daily_at: "10:00", applies_to: { channel: "whatsapp" } }, [{ type: "send_message", message_template: "Template fallback", whatsapp_template: { name: "daily_checkin", language: "en" } }], "WA");
    const stopper = await createEndUser({ creatorId: cid });
    const blocked = await createEndUser({ creatorId: cid, channel: "telegram", status: "unreachable" });
    const waOld = await createEndUser({ creatorId: cid, channel: "whatsapp", lastActiveAt: "2026-04-08T09:00:00Z" });
    const waFresh = await createEndUser({ creatorId: cid, channel: "whatsapp", lastActiveAt: "2026-04-10T08:00:00Z" });
    const fine = await createEndUser({ creatorId: cid });
    expect(await onUserMessage(env, { creatorId: cid, endUserId: stopper, conversationId: crypto.randomUUID(), text: "/stop" })).toEqual({ consumed: true });
    await new Engine().tick("2026-04-10T10:00:00Z");
    expect(await texts(stopper)).toEqual([]);
    expect(await texts(blocked)).toEqual([]);
    expect(await texts(fine)).toEqual(["Hey Sam!"]);
    expect(await texts(waOld)).toEqual(["Template fallback"]); // only the rule with a template reaches them
    expect(JSON.parse((await messagesOf(waOld))[0]!.metadata!)).toMatchObject({ kind: "proactive", whatsapp_template: { name: "daily_checkin", language: "en" } });
    expect((await texts(waFresh)).sort()).toEqual(["Hey Sam!", "Template fallback"]);
    expect((await sendsOf(waOld)).map((s) => s.skip_reason)).toContain("whatsapp_window");
    const user = await json(await api(`/api/v1/users/${stopper}`, { token: owner.access_token }));
    expect(user.opted_out).toBe(true);
  });

  it("applies_to narrows the audience by tag, channel and listed users; delay_minutes postpones the send", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    const vip = await createEndUser({ creatorId: cid, tags: ["vip"] });
    const tg = await createEndUser({ creatorId: cid, channel: "telegram" });
    const listed = await createEndUser({ creatorId: cid });
    setClock("2026-04-10T09:00:00Z");
    await rule(owner, { type: "scheduled", daily_at: "10:00", applies_to: { tag: "vip" } }, [{ type: "send_message", message_template: "VIP", delay_minutes: 30 }]);
    await rule(owner, { type: "scheduled", daily_at: "10:00", applies_to: { channel: "telegram" } }, [{ type: "send_message", message_template: "TG" }]);
    await rule(owner, { type: "scheduled", cron: "0 10 * * *", applies_to: { user_ids: [listed] } }, [{ type: "send_message", message_template: "Listed" }]);
    const engine = new Engine();
    await engine.tick("2026-04-10T10:00:00Z");
    expect([await texts(vip), await texts(tg), await texts(listed)]).toEqual([[], ["TG"], ["Listed"]]);
    await engine.tick("2026-04-10T10:29:00Z");
    expect(await texts(vip)).toEqual([]);
    await engine.tick("2026-04-10T10:30:00Z");
    expect(await texts(vip)).toEqual(["VIP"]);
  });
});

describe("chunked evaluation and dispatch", () => {
  it("writes and queues a large audience in small chunks, once, even when two ticks overlap", async () => {
    const owner = await createCreator();
    const users = [];
    for (let i = 0; i < 7; i++) users.push(await createEndUser({ creatorId: owner.creator.id, timezone: i % 2 ? "Europe/Berlin" : null }));
    setClock("2026-04-10T09:00:00Z");
    await rule(owner, { type: "scheduled", cron: "0 * * * *" }, [{ type: "send_message", message_template: "A" }, { type: "send_message", message_template: "B", delay_minutes: 1 }]);
    const engine = new Engine({ PROACTIVE_DISPATCH_CHUNK: "2", PROACTIVE_DAILY_CAP: "5" });
    await engine.tickOnly("2026-04-10T10:00:00Z");
    await engine.tickOnly("2026-04-10T10:00:30Z");
    // 7 sends due now, claimed 2 at a time, 50 per job: 4 claims → 4 jobs; the overlapping tick claims nothing.
    expect(engine.pending).toHaveLength(4);
    await engine.drain();
    await engine.tick("2026-04-10T10:01:00Z");
    for (const u of users) expect(await texts(u)).toEqual(["A", "B"]);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM proactive_sends s JOIN end_users u ON u.id = s.end_user_id WHERE u.creator_id = ?").bind(owner.creator.id).first<{ n: number }>();
    expect(n!.n).toBe(14);
  });
});

describe("scheduled rules on each user's clock", () => {
  it("daily at 09:00 fires at 09:00 in Berlin and in New York, across Berlin's DST change, once per day", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    const berlin = await createEndUser({ creatorId: cid, timezone: "Europe/Berlin" });
    const ny = await createEndUser({ creatorId: cid, timezone: "America/New_York" });
    setClock("2026-03-28T07:00:00Z");
    await rule(owner, { type: "scheduled", daily_at: "09:00" }, [{ type: "send_message", message_template: "Morning!" }]);
    const engine = new Engine();
    await engine.tick("2026-03-28T07:59:00Z");
    expect(await texts(berlin)).toEqual([]);
    await engine.tick("2026-03-28T08:00:00Z"); // 09:00 CET
    await engine.tick("2026-03-28T08:01:00Z");
    expect(await texts(berlin)).toEqual(["Morning!"]);
    expect(await texts(ny)).toEqual([]);
    await engine.tick("2026-03-28T13:00:00Z"); // 09:00 EDT
    expect(await texts(ny)).toEqual(["Morning!"]);
    await engine.tick("2026-03-29T07:00:00Z"); // Sunday 09:00 CEST (one hour earlier in UTC)
    expect(await texts(berlin)).toEqual(["Morning!", "Morning!"]);
    const keys = (await sendsOf(berlin)).map((s) => s.occurrence_key);
    expect(keys).toEqual(["sched:2026-03-28T09:00", "sched:2026-03-29T09:00"]);
  });
});

describe("program_stalled and milestone triggers", () => {
  it("nudges a user stuck on a question, and congratulates on completion and on a badge", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    const flow = {
      nodes: [node("start", "start"), node("q", "question", { question: "How did it go?", key: "day1" }), node("b", "award_badge", { badge_id: "day-1", badge_name: "Day 1" }), node("end", "end")],
      edges: [edge("start", "q"), edge("q", "b"), edge("b", "end")],
    };
    const created = await json(await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "P", flow_definition: flow } }));
    await api(`/api/v1/programs/${created.id}/publish`, { method: "POST", token: owner.access_token });
    const user = await createEndUser({ creatorId: cid, name: "Max" });
    setClock("2026-05-04T09:00:00Z");
    await rule(owner, { type: "program_stalled", threshold_hours: 48, program_id: created.id }, [{ type: "send_message", message_template: "Still there, {user_name}?" }], "Stalled");
    await rule(owner, { type: "milestone", event: "program_completed" }, [{ type: "send_message", message_template: "Congrats on finishing!" }], "Done");
    await rule(owner, { type: "milestone", event: "badge_earned", badge_id: "day-1" }, [{ type: "send_message", message_template: "Badge!" }], "Badge");
    await api(`/api/v1/users/${user}/programs/${created.id}/enroll`, { method: "POST", token: owner.access_token });
    const engine = new Engine();
    await engine.tick("2026-05-04T09:01:00Z");
    expect(await texts(user)).toEqual(["How did it go?"]);
    await engine.tick("2026-05-06T09:00:00Z");
    expect(await texts(user)).toEqual(["How did it go?"]);
    await engine.tick("2026-05-06T09:02:00Z"); // 48 h without progress
    await engine.tick("2026-05-06T10:00:00Z");
    expect(await texts(user)).toEqual(["How did it go?", "Still there, Max?"]);
    setClock("2026-05-07T11:00:00Z"); // the next day (the nudge used one of the 2 messages of the 6th)
    await onUserMessage(env, { creatorId: cid, endUserId: user, conversationId: crypto.randomUUID(), text: "great" });
    await engine.tick("2026-05-07T11:01:00Z"); // badge + completion happen in this tick's job
    await engine.tick("2026-05-07T11:02:00Z"); // and are noticed by the next one
    expect((await texts(user)).slice(2).sort()).toEqual(["Badge!", "Congrats on finishing!"]);
    await engine.tick("2026-05-07T11:30:00Z");
    expect(await texts(user)).toHaveLength(4);
  });
});

describe("analytics and preview", () => {
  it("counts triggers, replies within 24 h as successes, response time, per rule and by date range", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    setClock("2026-04-10T09:00:00Z");
    const r1 = await rule(owner, { type: "scheduled", daily_at: "10:00" }, undefined, "Daily");
    const a = await createEndUser({ creatorId: cid });
    const b = await createEndUser({ creatorId: cid });
    await new Engine().tick("2026-04-10T10:00:00Z");
    setClock("2026-04-10T12:00:00Z");
    await onUserMessage(env, { creatorId: cid, endUserId: a, conversationId: crypto.randomUUID(), text: "thanks!" });
    setClock("2026-04-11T12:00:00Z"); // b replies 26 h later: not a success
    await onUserMessage(env, { creatorId: cid, endUserId: b, conversationId: crypto.randomUUID(), text: "late" });
    const stats = await json(await api("/api/v1/proactive-engine/analytics?start_date=2026-04-01&end_date=2026-04-30", { token: owner.access_token }));
    expect(stats.date_range).toEqual({ start_date: "2026-04-01", end_date: "2026-04-30" });
    expect(stats.summary).toMatchObject({ total_triggers: 2, successful_engagements: 1, success_rate: 0.5, average_response_time_hours: 2 });
    expect(stats.rule_performance).toEqual([expect.objectContaining({ rule_id: r1, rule_name: "Daily", triggers: 2, successes: 1, success_rate: 0.5 })]);
    const empty = await json(await api("/api/v1/proactive-engine/analytics?start_date=2026-05-01&end_date=2026-05-31", { token: owner.access_token }));
    expect(empty.summary).toMatchObject({ total_triggers: 0, success_rate: 0 });
    const listed = await json(await api("/api/v1/proactive-engine/rules", { token: owner.access_token }));
    expect(listed.rules[0]).toMatchObject({ triggered_count: 2, success_rate: 0.5 });
    const bad = await api("/api/v1/proactive-engine/analytics?start_date=2026-05-01&end_date=2026-04-01", { token: owner.access_token });
    expect(bad.status).toBe(422);
    expect((await api("/api/v1/proactive-engine/analytics?start_date=yesterday", { token: owner.access_token })).status).toBe(422);
  });

  it("preview lists who would receive what now, with the reasons some wouldn't, and writes nothing", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    setClock("2026-04-10T12:30:00Z"); // 21:30 in Tokyo
    const id = await rule(owner, { type: "inactivity", threshold_hours: 24 }, [{ type: "send_message", message_template: "Miss you {user_name}, how is {goal}?" }]);
    const due = await createEndUser({ creatorId: cid, name: "Pia", profile: { goal: "yoga" }, lastActiveAt: "2026-04-09T11:45:00Z" });
    const night = await createEndUser({ creatorId: cid, timezone: "Asia/Tokyo", lastActiveAt: "2026-04-09T12:00:00Z" });
    const gone = await createEndUser({ creatorId: cid, status: "unreachable", lastActiveAt: "2026-04-09T12:10:00Z" });
    await createEndUser({ creatorId: cid, lastActiveAt: "2026-04-10T10:00:00Z" });
    const res = await api(`/api/v1/proactive-engine/rules/${id}/preview`, { method: "POST", token: owner.access_token });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.total_recipients).toBe(3);
    const pia = body.recipients.find((r: any) => r.user_id === due);
    expect(pia).toMatchObject({ channel: "web", message: "Miss you Pia, how is yoga?", would_send: true, skip_reason: null, deferred_by_quiet_hours: false, send_at: "2026-04-10T12:30:00.000Z" });
    const tokyo = body.recipients.find((r: any) => r.user_id === night);
    expect(tokyo).toMatchObject({ would_send: true, deferred_by_quiet_hours: true, send_at: "2026-04-10T23:00:00.000Z" });
    expect(body.recipients.find((r: any) => r.user_id === gone)).toMatchObject({ would_send: false, skip_reason: "unreachable" });
    const ledger = await env.DB.prepare("SELECT count(*) AS n FROM proactive_sends WHERE rule_id = ?").bind(id).first<{ n: number }>();
    expect(ledger!.n).toBe(0);
  });
});

describe("localPartsBetween (the scheduled rules' minute-by-minute local clock)", () => {
  it("agrees with Intl minute by minute, in plain windows and across DST changes both ways", () => {
    const windows: [string, string, string][] = [
      ["2026-04-10T09:00:00Z", "2026-04-10T10:05:00Z", "Asia/Kolkata"],
      ["2026-03-29T00:30:00Z", "2026-03-29T01:35:00Z", "Europe/Berlin"], // spring forward at 01:00 UTC
      ["2026-11-01T05:30:00Z", "2026-11-01T06:35:00Z", "America/New_York"], // fall back at 06:00 UTC
      ["2026-04-04T15:30:00Z", "2026-04-04T16:35:00Z", "Australia/Sydney"], // fall back at 16:00 UTC
    ];
    for (const [a, b, tz] of windows) {
      const from = Date.parse(a);
      const to = Date.parse(b);
      const fast = localPartsBetween(from, to, tz);
      for (let m = to; m > from; m -= 60_000) expect(fast(m), `${tz} ${new Date(m).toISOString()}`).toEqual(localParts(m, tz));
    }
  });
});

describe("{memory.*} in proactive messages", () => {
  it("renders the user's long-term memories at send time and in the preview, empty when unknown, never another creator's", async () => {
    const owner = await createCreator();
    const other = await createCreator();
    const cid = owner.creator.id;
    setClock("2026-04-10T11:30:00Z");
    const id = await rule(owner, { type: "inactivity", threshold_hours: 24 }, [{ type: "send_message", message_template: "Hi {user_name}, how is {memory.goal} going?{memory.injuries}" }]);
    const ana = await createEndUser({ creatorId: cid, name: "Ana", lastActiveAt: "2026-04-09T11:00:00Z" });
    const bo = await createEndUser({ creatorId: cid, name: "Bo", lastActiveAt: "2026-04-09T11:00:00Z" });
    const remember = (token: string, user: string, key: string, value: string, type = "long_term") =>
      api("/api/memory/memories", { method: "POST", token, json: { user_id: user, type, key, value } });
    expect((await remember(owner.access_token, ana, "goal", "a first 10k")).status).toBe(201);
    // Short-term memories are not the user's facts; another creator can't write to this creator's user.
    expect((await remember(owner.access_token, bo, "goal", "scratch", "short_term")).status).toBe(201);
    expect((await remember(other.access_token, bo, "goal", "stolen")).status).toBe(404);

    const preview = await json(await api(`/api/v1/proactive-engine/rules/${id}/preview`, { method: "POST", token: owner.access_token }));
    expect(preview.recipients.find((r: any) => r.user_id === ana).message).toBe("Hi Ana, how is a first 10k going?");
    expect(preview.recipients.find((r: any) => r.user_id === bo).message).toBe("Hi Bo, how is  going?");

    // What the user told the assistant most recently is what the send says.
    expect((await remember(owner.access_token, ana, "goal", "a half marathon")).status).toBe(201);
    await new Engine().tick("2026-04-10T11:40:00Z");
    expect(await texts(ana)).toEqual(["Hi Ana, how is a half marathon going?"]);
    expect(await texts(bo)).toEqual(["Hi Bo, how is  going?"]);
  });
});
