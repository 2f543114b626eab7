// WhatsApp template messages end to end through the Graph API stand-in: proactive rules and program
// steps that name a template reach users outside the 24-hour window as that template, a free text
// Meta refuses with 131047 falls back to it, and the messages API sends templates — bad input refused.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, createCreator, errorOf, type Session } from "../helpers";
import { connectTelegram, connectWhatsApp, eventually, postTelegram, postWhatsApp, settledOut, sign, stubCalls, stubScript, telegramUpdate, waText, whatsappNotification, type WhatsAppChannel } from "../channel-helpers";
import { Engine, setClock } from "../support/engine";
import { edge, node } from "../support/flows";
import outsideWindow from "../fixtures/whatsapp/send-outside-window.json";

afterEach(() => setClock(null));
// Each test waits for real queue deliveries (the consumer's batch timeout is a second).
vi.setConfig({ testTimeout: 30_000 });

const json = async (res: Response) => (await res.json()) as Record<string, any>;
const graphSends = async (ch: WhatsAppChannel, type?: string) => (await stubCalls(ch.phoneNumberId, "messages")).filter((c) => !type || c.body.type === type);

/** A verified WhatsApp channel and one contact (wa id `from`) who wrote and got the AI reply. */
async function contact(s: Session, ch: WhatsAppChannel | undefined, from = "16505551234", name = "Daniel Reyes") {
  ch ??= await connectWhatsApp(s);
  await api(`/webhooks/whatsapp/${ch.id}?${new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": ch.verifyToken, "hub.challenge": "x" })}`);
  const raw = JSON.stringify(
    whatsappNotification(waText, ch.phoneNumberId, (v) => {
      v.messages[0].from = from;
      v.messages[0].id = `wamid.${crypto.randomUUID()}`;
      v.contacts[0].wa_id = from;
      v.contacts[0].profile.name = name;
    }),
  );
  expect((await postWhatsApp(raw, await sign(ch.appSecret, raw))).status).toBe(200);
  const user = await eventually(
    () => env.DB.prepare("SELECT id FROM end_users WHERE creator_id = ? AND external_id = ?").bind(s.creator.id, `+${from}`).first<{ id: string }>().then((r) => r ?? undefined),
    "end user",
  );
  await eventually(() => settledOut(ch.id), "AI reply");
  return { ch, userId: user.id };
}

/** Moves the contact's last message (our window clock) and last_active_at (the engine's) into the past. */
async function closeWindow(userId: string, lastActiveAt: string) {
  await env.DB.batch([
    env.DB.prepare("UPDATE messages SET created_at = '2020-01-01T00:00:00.000Z' WHERE sender = 'user' AND conversation_id IN (SELECT id FROM conversations WHERE end_user_id = ?)").bind(userId),
    env.DB.prepare("UPDATE end_users SET last_active_at = ? WHERE id = ?").bind(lastActiveAt, userId),
  ]);
}

async function rule(owner: Session, actions: Record<string, unknown>[], name: string) {
  const res = await api("/api/v1/proactive-engine/rules", {
    method: "POST",
    token: owner.access_token,
    json: { name, trigger_conditions: { type: "scheduled", daily_at: "10:00", applies_to: { channel: "whatsapp" } }, actions },
  });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
  return (await json(res)).id as string;
}

const outbound = (userId: string) =>
  env.DB.prepare("SELECT m.text, m.delivery_status, m.metadata FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.end_user_id = ? AND m.sender <> 'user' ORDER BY m.seq")
    .bind(userId)
    .all<{ text: string; delivery_status: string; metadata: string }>()
    .then((r) => r.results.map((m) => ({ ...m, metadata: JSON.parse(m.metadata ?? "{}") })));

describe("proactive rules with a WhatsApp template", () => {
  it("reach a user outside the 24-hour window as the template; a rule without one skips them; inside the window free text goes", async () => {
    const owner = await createCreator();
    const old = await contact(owner, undefined);
    const fresh = await contact(owner, old.ch, "16505550000", "Ana");
    setClock("2026-04-10T09:00:00Z");
    await closeWindow(old.userId, "2026-04-08T09:00:00Z");
    await env.DB.prepare("UPDATE end_users SET last_active_at = '2026-04-10T08:30:00Z' WHERE id = ?").bind(fresh.userId).run();
    await rule(owner, [{ type: "send_message", message_template: "Hi {user_name},\n\ntime for your check-in!", whatsapp_template: { name: "daily_checkin", language: "en_US", parameters: ["{user_name}", "{goal}"] } }], "With template");
    await rule(owner, [{ type: "send_message", message_template: "No template here" }], "Without");
    await env.DB.prepare("UPDATE end_users SET profile = ? WHERE id = ?").bind(JSON.stringify({ goal: "run 10k" }), old.userId).run();

    await new Engine().tick("2026-04-10T10:00:00Z");
    const [tpl] = await eventually(async () => {
      const c = await graphSends(old.ch, "template");
      return c.length ? c : undefined;
    }, "template send");
    expect(tpl!.body).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "16505551234",
      type: "template",
      template: { name: "daily_checkin", language: { code: "en_US" }, components: [{ type: "body", parameters: [{ type: "text", text: "Daniel Reyes" }, { type: "text", text: "run 10k" }] }] },
    });
    const sent = await eventually(async () => {
      const m = (await outbound(old.userId)).filter((x) => x.metadata.kind === "proactive");
      return m.length && m.every((x) => x.delivery_status !== "queued") ? m : undefined;
    }, "delivery recorded");
    // Only the rule with a template reached them, recorded as sent (as a template).
    expect(sent).toEqual([expect.objectContaining({ text: "Hi Daniel Reyes,\n\ntime for your check-in!", delivery_status: "sent", metadata: expect.objectContaining({ sent_as: "template" }) })]);
    const skipped = await env.DB.prepare("SELECT skip_reason FROM proactive_sends WHERE end_user_id = ? AND status = 'skipped'").bind(old.userId).all<{ skip_reason: string }>();
    expect(skipped.results.map((r) => r.skip_reason)).toEqual(["whatsapp_window"]);

    // Inside the window both rules send free text (the template is only for a closed window).
    const texts = await eventually(async () => {
      const c = (await graphSends(old.ch, "text")).filter((x) => x.body.to === "16505550000" && /check-in|No template/.test(x.body.text.body));
      return c.length === 2 ? c : undefined;
    }, "in-window texts");
    expect(texts.map((c) => c.body.text.body).sort()).toEqual(["Hi Ana,\n\ntime for your check-in!", "No template here"]);
    expect((await graphSends(old.ch, "template")).filter((c) => c.body.to === "16505550000")).toEqual([]);
  });

  it("falls back to the template when Meta refuses the free text with 131047, once, and records why", async () => {
    const owner = await createCreator();
    const { ch, userId } = await contact(owner, undefined);
    setClock("2026-04-10T09:00:00Z");
    // Our clocks say the window is open; Meta's says it closed.
    await env.DB.prepare("UPDATE end_users SET last_active_at = '2026-04-10T08:00:00Z' WHERE id = ?").bind(userId).run();
    await rule(owner, [{ type: "send_message", message_template: "Checking in", whatsapp_template: { name: "checkin_reminder", language: "en" } }], "R");
    await stubScript(ch.phoneNumberId, "messages", [{ status: 400, body: outsideWindow }]);
    await new Engine().tick("2026-04-10T10:00:00Z");
    const [m] = await eventually(async () => {
      const x = (await outbound(userId)).filter((o) => o.metadata.kind === "proactive");
      return x.length && x[0]!.delivery_status !== "queued" ? x : undefined;
    }, "settled");
    expect(m).toMatchObject({ delivery_status: "sent", metadata: { sent_as: "template", template_fallback: "meta_131047" } });
    const calls = (await graphSends(ch)).filter((c) => c.body.type === "template" || c.body.text?.body === "Checking in");
    expect(calls.map((c) => c.body.type)).toEqual(["text", "template"]);
    // Without explicit parameters the rendered message is the one body parameter.
    expect(calls[1]!.body.template).toEqual({ name: "checkin_reminder", language: { code: "en" }, components: [{ type: "body", parameters: [{ type: "text", text: "Checking in" }] }] });
  });
});

describe("program steps with a WhatsApp template", () => {
  it("send a send_message step to an out-of-window WhatsApp user as the template", async () => {
    const owner = await createCreator();
    const { ch, userId } = await contact(owner, undefined);
    setClock("2026-04-10T09:00:00Z");
    await closeWindow(userId, "2026-04-01T09:00:00Z");
    const flow = {
      nodes: [node("start", "start"), node("m", "send_message", { message: "Day 1 is here, {user_name}", whatsapp_template: { name: "program_step", language: "en_GB" } }), node("end", "end")],
      edges: [edge("start", "m"), edge("m", "end")],
    };
    const created = await json(await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "P", flow_definition: flow } }));
    expect((await api(`/api/v1/programs/${created.id}/publish`, { method: "POST", token: owner.access_token })).status).toBe(200);
    expect((await api(`/api/v1/users/${userId}/programs/${created.id}/enroll`, { method: "POST", token: owner.access_token })).status).toBe(201);
    await new Engine().tick("2026-04-10T09:01:00Z");
    const [tpl] = await eventually(async () => {
      const c = await graphSends(ch, "template");
      return c.length ? c : undefined;
    }, "template send");
    expect(tpl!.body.template).toEqual({ name: "program_step", language: { code: "en_GB" }, components: [{ type: "body", parameters: [{ type: "text", text: "Day 1 is here, Daniel Reyes" }] }] });
  });

  it("refuses a bad template in a node on save, field by field", async () => {
    const owner = await createCreator();
    const flow = {
      nodes: [node("start", "start"), node("m", "send_message", { message: "Hi", whatsapp_template: { name: "Daily-Checkin", language: "english" } }), node("end", "end")],
      edges: [edge("start", "m"), edge("m", "end")],
    };
    const res = await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "P", flow_definition: flow } });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details.map((d) => d.field).sort()).toEqual(["flow_definition.nodes.1.data.whatsapp_template.language", "flow_definition.nodes.1.data.whatsapp_template.name"]);
  });
});

describe("rule validation of whatsapp_template", () => {
  it.each([
    [{ name: "Daily Checkin", language: "en" }, "actions.0.whatsapp_template.name"],
    [{ name: "x".repeat(513), language: "en" }, "actions.0.whatsapp_template.name"],
    [{ language: "en" }, "actions.0.whatsapp_template.name"],
    [{ name: "daily", language: "EN-us" }, "actions.0.whatsapp_template.language"],
    [{ name: "daily" }, "actions.0.whatsapp_template.language"],
    [{ name: "daily", language: "en", parameters: [""] }, "actions.0.whatsapp_template.parameters.0"],
    [{ name: "daily", language: "en", header: "x" }, "actions.0.whatsapp_template"],
  ])("refuses %j (422, %s) and stores nothing", async (template, field) => {
    const owner = await createCreator();
    const res = await api("/api/v1/proactive-engine/rules", {
      method: "POST",
      token: owner.access_token,
      json: { name: "x", trigger_conditions: { type: "inactivity", threshold_hours: 1 }, actions: [{ type: "send_message", message_template: "hi", whatsapp_template: template }] },
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details.map((d) => d.field)).toContain(field);
    expect((await json(await api("/api/v1/proactive-engine/rules", { token: owner.access_token }))).rules).toEqual([]);
  });
});

describe("POST /api/v1/channels/{channel_id}/messages type template", () => {
  it("sends an approved template, also outside the 24-hour window, and reports it", async () => {
    const owner = await createCreator();
    const { ch, userId } = await contact(owner, undefined);
    await closeWindow(userId, "2020-01-01T00:00:00Z");
    const res = await api(`/api/v1/channels/${ch.id}/messages`, {
      method: "POST",
      token: owner.access_token,
      json: { to: "+16505551234", type: "template", template: { name: "order_update", language: "pt_BR", parameters: ["Daniel", "#12345"] }, messageId: "tpl-1" },
    });
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body).toMatchObject({ status: "queued", type: "template", messageId: "tpl-1", template: { name: "order_update", language: "pt_BR", parameters: ["Daniel", "#12345"] }, parts: 1 });
    const [call] = await eventually(async () => {
      const c = await graphSends(ch, "template");
      return c.length ? c : undefined;
    }, "template send");
    expect(call!.body).toMatchObject({ to: "16505551234", template: { name: "order_update", language: { code: "pt_BR" }, components: [{ type: "body", parameters: [{ type: "text", text: "Daniel" }, { type: "text", text: "#12345" }] }] } });
    const got = await eventually(async () => {
      const m = await json(await api(`/api/v1/channels/${ch.id}/messages/${body.message_id}`, { token: owner.access_token }));
      return m.delivery_status === "sent" ? m : undefined;
    }, "sent");
    expect(got).toMatchObject({ type: "template", text: "[template order_update (pt_BR)]: Daniel | #12345" });
    // A template without parameters sends no components.
    await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: owner.access_token, json: { end_user_id: userId, type: "template", template: { name: "hello_world", language: "en_US" } } });
    const bare = await eventually(async () => (await graphSends(ch, "template")).find((c) => c.body.template.name === "hello_world"), "bare template");
    expect(bare.body.template).toEqual({ name: "hello_world", language: { code: "en_US" } });
  });

  it("refuses bad template sends field by field and stores nothing", async () => {
    const owner = await createCreator();
    const { ch, userId } = await contact(owner, undefined);
    const count = async () => (await env.DB.prepare("SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.end_user_id = ?").bind(userId).first<{ n: number }>())!.n;
    const before = await count();
    const cases: [unknown, string][] = [
      [{ to: "16505551234", type: "template" }, "template"],
      [{ to: "16505551234", type: "template", template: { language: "en" } }, "template.name"],
      [{ to: "16505551234", type: "template", template: { name: "Bad Name", language: "en" } }, "template.name"],
      [{ to: "16505551234", type: "template", template: { name: "ok", language: "English" } }, "template.language"],
      [{ to: "16505551234", type: "template", template: { name: "ok", language: "en", parameters: "x" } }, "template.parameters"],
      [{ to: "16505551234", type: "template", text: "free text", template: { name: "ok", language: "en" } }, "text"],
      [{ to: "16505551234", type: "text", text: "hi", template: { name: "ok", language: "en" } }, "template"],
      [{ to: "16505551234", type: "image", text: "hi" }, "type"],
    ];
    for (const [body, field] of cases) {
      const res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: owner.access_token, json: body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await errorOf(res)).details.map((d) => d.field), JSON.stringify(body)).toContain(field);
    }
    expect(await count()).toBe(before);

    // Telegram has no templates: 422 naming the type.
    const tg = await connectTelegram(owner);
    await postTelegram(telegramUpdate(1), tg.secret);
    await eventually(() => settledOut(tg.id), "telegram reply");
    const res = await api(`/api/v1/channels/${tg.id}/messages`, { method: "POST", token: owner.access_token, json: { to: "521930114", type: "template", template: { name: "ok", language: "en" } } });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details.map((d) => d.field)).toEqual(["type"]);

    // Another creator's channel: 404.
    const other = await createCreator();
    const foreign = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: other.access_token, json: { to: "16505551234", type: "template", template: { name: "ok", language: "en" } } });
    expect(foreign.status).toBe(404);
    expect(await count()).toBe(before);
  });
});

describe("a WhatsApp channel's fallback template", () => {
  it("carries free text that can't go as text any more (agent replies after the 24-hour window), with the text as {{1}}", async () => {
    const owner = await createCreator();
    const ch = await connectWhatsApp(owner, { fallback_template: { name: "reply_waiting", language: "en" } });
    expect(ch.body.configuration.fallback_template).toEqual({ name: "reply_waiting", language: "en" });
    const { userId } = await contact(owner, ch);
    await closeWindow(userId, "2020-01-01T00:00:00Z");
    const res = await api(`/api/v1/channels/${ch.id}/messages`, {
      method: "POST",
      token: owner.access_token,
      json: { end_user_id: userId, type: "text", text: "Sorry for the wait!\n\nYour plan is ready." },
    });
    expect(res.status).toBe(202);
    const [call] = await eventually(async () => {
      const c = await graphSends(ch, "template");
      return c.length ? c : undefined;
    }, "fallback template send");
    expect(call!.body.template).toEqual({
      name: "reply_waiting",
      language: { code: "en" },
      components: [{ type: "body", parameters: [{ type: "text", text: "Sorry for the wait! Your plan is ready." }] }],
    });
    const sent = await eventually(async () => (await outbound(userId)).find((m) => m.text.startsWith("Sorry for the wait") && m.delivery_status === "sent"), "sent");
    expect(sent.metadata).toMatchObject({ sent_as: "template" });
    // Only the template went out for it: no free-text attempt outside the window.
    expect((await graphSends(ch, "text")).filter((c) => String(c.body.text?.body).startsWith("Sorry for the wait"))).toEqual([]);
  });

  it("is validated like any template, field by field, on create and on update", async () => {
    const owner = await createCreator();
    await expect(connectWhatsApp(owner, { fallback_template: { name: "Bad Name", language: "en" } })).rejects.toThrow(/422/);
    const ch = await connectWhatsApp(owner);
    const res = await api(`/api/v1/channels/${ch.id}`, { method: "PUT", token: owner.access_token, json: { configuration: { fallback_template: { name: "ok_name", language: "English" } } } });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details.map((d) => d.field)).toContain("configuration.fallback_template.language");
    const ok = await api(`/api/v1/channels/${ch.id}`, { method: "PUT", token: owner.access_token, json: { configuration: { fallback_template: { name: "ok_name", language: "en_US" } } } });
    expect(ok.status).toBe(200);
    expect((await json(ok)).configuration.fallback_template).toEqual({ name: "ok_name", language: "en_US" });
  });
});
