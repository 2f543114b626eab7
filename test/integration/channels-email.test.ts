import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../workers/api";
import { eventually } from "../channel-helpers";
import { createEmailChannel, emailRows, headerOf, outboundMails, parseMail, processRaw, rawEmail } from "../email-helpers";
import { api, createCreator, errorOf } from "../helpers";
import { connect } from "../realtime";

// The AI reply goes out on the queue (the consumer's batch timeout is a second).
vi.setConfig({ testTimeout: 30_000 });

const DOMAIN = "mail.edgecoach.localhost";

/** What Email Routing hands the Worker's email() handler (the platform's object, played here). */
function forwardable(raw: string, envelope: { from: string; to: string }) {
  const bytes = new TextEncoder().encode(raw);
  const state: { rejected?: string } = {};
  const message = {
    from: envelope.from,
    to: envelope.to,
    raw: new Blob([bytes]).stream(),
    rawSize: bytes.byteLength,
    headers: new Headers(),
    setReject: (reason: string) => void (state.rejected = reason),
    forward: async () => ({ messageId: "" }),
    reply: async () => ({ messageId: "" }),
  };
  return { message: message as unknown as ForwardableEmailMessage, state };
}

async function deliver(raw: string, envelope: { from: string; to: string }) {
  const { message, state } = forwardable(raw, envelope);
  await worker.email!(message, env);
  return state;
}

async function messagesOf(conversationId: string) {
  const rows = await env.DB.prepare("SELECT sender, text, seq, delivery_status, metadata FROM messages WHERE conversation_id = ? ORDER BY seq").bind(conversationId).all<any>();
  return rows.results;
}

async function countFor(creatorId: string) {
  const q = async (sql: string) => (await env.DB.prepare(sql).bind(creatorId).first<{ n: number }>())!.n;
  return {
    conversations: await q("SELECT count(*) AS n FROM conversations WHERE creator_id = ?"),
    messages: await q("SELECT count(*) AS n FROM messages WHERE creator_id = ?"),
    mails: await q("SELECT count(*) AS n FROM email_messages WHERE creator_id = ?"),
    endUsers: await q("SELECT count(*) AS n FROM end_users WHERE creator_id = ?"),
  };
}

describe("email channel: POST /api/v1/channels (channel_type email)", () => {
  it("gives the creator an inbound address on EMAIL_INBOUND_DOMAIN, chosen or random, and refuses one that is taken", async () => {
    const a = await createCreator();
    const random = await createEmailChannel(a);
    expect(random.address).toMatch(new RegExp(`^c-[a-z0-9]+@${DOMAIN.replace(/\./g, "\\.")}$`));
    expect(random.body.channel_type).toBe("email");
    expect(random.body.status).toBe("active");
    expect(random.body.configuration.webhook_url).toBeUndefined();

    const local = `coach-${crypto.randomUUID().slice(0, 8)}`;
    const chosen = await createEmailChannel(a, { local_part: local.toUpperCase() });
    expect(chosen.address).toBe(`${local}@${DOMAIN}`);

    const b = await createCreator();
    const res = await api("/api/v1/channels", { method: "POST", token: b.access_token, json: { channel_type: "email", channel_name: "Mine", configuration: { local_part: local } } });
    expect(res.status).toBe(409);
    const bad = await api("/api/v1/channels", { method: "POST", token: b.access_token, json: { channel_type: "email", channel_name: "Bad", configuration: { local_part: "no spaces@here" } } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details[0]!.field).toBe("configuration.local_part");
  });
});

describe("email() handler: an email in, a threaded reply out", () => {
  it("opens a conversation, answers it, and the reply is a proper reply (Re:, In-Reply-To, References, our Message-ID, From the channel)", async () => {
    const s = await createCreator();
    const ch = await createEmailChannel(s);
    const firstId = `${crypto.randomUUID()}@client.example.com`;
    const raw = rawEmail({ from: "Maya Okafor <maya@client.example.com>", to: ch.address, subject: "Rest days", messageId: firstId, text: "How many rest days should I take each week?" });
    const state = await deliver(raw, { from: "maya@client.example.com", to: ch.address });
    expect(state.rejected).toBeUndefined();

    const [inbound] = await emailRows(ch.id, "in");
    expect(inbound).toMatchObject({ status: "received", rfc_message_id: firstId, from_address: "maya@client.example.com", subject: "Rest days" });
    const conv = await env.DB.prepare("SELECT * FROM conversations WHERE id = ?").bind(inbound!.conversation_id).first<any>();
    expect(conv).toMatchObject({ channel: "email", channel_id: ch.id, creator_id: s.creator.id });
    const user = await env.DB.prepare("SELECT * FROM end_users WHERE id = ?").bind(conv.end_user_id).first<any>();
    expect(user).toMatchObject({ channel: "email", external_id: "maya@client.example.com", display_name: "Maya Okafor" });

    const [out] = await outboundMails(ch.id, 1);
    expect(out).toMatchObject({ status: "logged", conversation_id: conv.id, to_address: "maya@client.example.com", from_address: ch.address, in_reply_to: firstId });
    const mail = await parseMail(out!.raw!);
    expect(mail.subject).toBe("Re: Rest days");
    expect(mail.from).toMatchObject({ address: ch.address, name: "Coach Mail" });
    expect(mail.to?.[0]?.address).toBe("maya@client.example.com");
    expect(mail.inReplyTo).toBe(`<${firstId}>`);
    expect(mail.references).toBe(`<${firstId}>`);
    expect(mail.messageId).toMatch(new RegExp(`^<[0-9a-f-]{36}@${DOMAIN.replace(/\./g, "\\.")}>$`));
    expect(headerOf(mail, "auto-submitted")).toBe("auto-replied");
    const rows = await eventually(async () => {
      const m = await messagesOf(conv.id);
      return m.length === 2 && m[1].delivery_status === "sent" ? m : undefined;
    }, "the reply marked sent");
    expect(rows.map((m) => m.sender)).toEqual(["user", "ai"]);
    expect(rows[0].text).toBe("How many rest days should I take each week?");
    expect(mail.text?.trim()).toBe(rows[1].text.trim());

    // The customer answers our reply from their mail client: same conversation, References grow.
    const ours = mail.messageId!.replace(/[<>]/g, "");
    const secondId = `${crypto.randomUUID()}@client.example.com`;
    const reply = rawEmail({
      from: "maya@client.example.com",
      to: ch.address,
      subject: "Re: Rest days",
      messageId: secondId,
      inReplyTo: ours,
      references: [firstId, ours],
      text: "Thanks! And how long should each workout be?\n\nOn Tue, 1 Dec 2026 at 10:00, Coach Mail wrote:\n> old text\n> more old text",
    });
    const res = await processRaw(s, reply);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: "processed", threadId: conv.id, answered: true, duplicate: false });
    const outs = await outboundMails(ch.id, 2);
    const second = await parseMail(outs[1]!.raw!);
    expect(second.subject).toBe("Re: Rest days");
    expect(second.inReplyTo).toBe(`<${secondId}>`);
    expect(second.references).toBe(`<${firstId}> <${ours}> <${secondId}>`);
    const all = await messagesOf(conv.id);
    // The quoted history is not part of what the customer said.
    expect(all[2].text).toBe("Thanks! And how long should each workout be?");
    expect((await countFor(s.creator.id)).conversations).toBe(1);
  });

  it("answers a redelivered mail (same Message-ID) once", async () => {
    const s = await createCreator();
    const ch = await createEmailChannel(s);
    const raw = rawEmail({ from: "sam@client.example.com", to: ch.address });
    await deliver(raw, { from: "sam@client.example.com", to: ch.address });
    await outboundMails(ch.id, 1);
    const again = await processRaw(s, raw);
    expect(((await again.json()) as any).duplicate).toBe(true);
    await deliver(raw, { from: "sam@client.example.com", to: ch.address });
    expect(await emailRows(ch.id, "in")).toHaveLength(1);
    expect(await emailRows(ch.id, "out")).toHaveLength(1);
    expect((await countFor(s.creator.id)).messages).toBe(2);
  });

  it("rejects mail to an unknown address and mail over EMAIL_MAX_RAW_BYTES at SMTP time, writing nothing", async () => {
    const unknown = await deliver(rawEmail({ from: "x@client.example.com", to: `nobody@${DOMAIN}` }), { from: "x@client.example.com", to: `nobody@${DOMAIN}` });
    expect(unknown.rejected).toBe("Unknown address");
    const s = await createCreator();
    const ch = await createEmailChannel(s);
    const { message, state } = forwardable(rawEmail({ from: "x@client.example.com", to: ch.address }), { from: "x@client.example.com", to: ch.address });
    Object.assign(message, { rawSize: 10 * 1024 * 1024 + 1 });
    await worker.email!(message, env);
    expect(state.rejected).toMatch(/too large/);
    const notMail = await deliver("this is not an email at all", { from: "x@client.example.com", to: ch.address });
    expect(notMail.rejected).toMatch(/From/);
    expect(await countFor(s.creator.id)).toMatchObject({ conversations: 0, messages: 0, mails: 0, endUsers: 0 });
  });
});

describe("loops and noise are never answered", () => {
  const cases: [string, Partial<Parameters<typeof rawEmail>[0]>, string, string?][] = [
    ["an auto-reply (Auto-Submitted: auto-replied)", { headers: { "Auto-Submitted": "auto-replied" }, subject: "Out of office" }, "auto_reply"],
    ["an X-Autoreply", { headers: { "X-Autoreply": "yes" } }, "auto_reply"],
    ["bulk mail (Precedence: bulk)", { headers: { Precedence: "bulk" } }, "bulk"],
    ["a list mail (Precedence: list)", { headers: { Precedence: "list" } }, "bulk"],
    ["a bounce (multipart/report)", { contentType: 'multipart/report; report-type=delivery-status; boundary="x"', text: "--x\r\nContent-Type: text/plain\r\n\r\nDelivery failed\r\n--x--" }, "bounce"],
    ["a bounce from MAILER-DAEMON", { from: "MAILER-DAEMON@mx.client.example.com" }, "bounce"],
    ["a bounce with an empty return path", {}, "bounce", ""],
    ["our own mail (From our domain)", { from: `c-loop@${DOMAIN}` }, "own_message"],
    ["our own mail (our Message-ID)", { messageId: `${crypto.randomUUID()}@${DOMAIN}` }, "own_message"],
  ];
  for (const [what, input, reason, envelopeFrom] of cases) {
    it(`records ${what} as ignored (${reason}) without a conversation or an answer`, async () => {
      const s = await createCreator();
      const ch = await createEmailChannel(s);
      const raw = rawEmail({ from: "robot@client.example.com", to: ch.address, ...input });
      const state = await deliver(raw, { from: envelopeFrom ?? "robot@client.example.com", to: ch.address });
      expect(state.rejected).toBeUndefined();
      const rows = await emailRows(ch.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ direction: "in", status: "ignored", ignored_reason: reason, conversation_id: null });
      expect(await countFor(s.creator.id)).toMatchObject({ conversations: 0, messages: 0 });
    });
  }

  it("does not answer an out-of-office reply to our own reply (the thread is kept, nothing goes out)", async () => {
    const s = await createCreator();
    const ch = await createEmailChannel(s);
    await deliver(rawEmail({ from: "lee@client.example.com", to: ch.address }), { from: "lee@client.example.com", to: ch.address });
    const [out] = await outboundMails(ch.id, 1);
    const res = await processRaw(s, rawEmail({ from: "lee@client.example.com", to: ch.address, inReplyTo: out!.rfc_message_id, headers: { "Auto-Submitted": "auto-replied" }, subject: "Automatic reply: Re: Question" }));
    expect(await res.json()).toMatchObject({ status: "ignored", reason: "auto_reply", answered: false });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await emailRows(ch.id, "out")).toHaveLength(1);
  });
});

describe("attachments", () => {
  it("stores each attachment as a conversation file (source email, under the creator's prefix) and attaches it to the message", async () => {
    const s = await createCreator();
    const ch = await createEmailChannel(s);
    const res = await processRaw(
      s,
      rawEmail({ from: "ana@client.example.com", to: ch.address, text: "Here is my blood test, what do you think?", attachments: [{ filename: "blood-test.txt", contentType: "text/plain", content: "Ferritin: 12 ng/mL" }] }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const [row] = await emailRows(ch.id, "in");
    const files = JSON.parse(row!.attachments);
    expect(files).toEqual([{ file_id: expect.any(String), filename: "blood-test.txt", content_type: "text/plain", size: 18 }]);
    const file = await env.DB.prepare("SELECT * FROM conversation_files WHERE id = ?").bind(files[0].file_id).first<any>();
    expect(file).toMatchObject({ creator_id: s.creator.id, conversation_id: body.threadId, source: "email", name: "blood-test.txt" });
    expect(file.r2_key.startsWith(`creators/${s.creator.id}/conversations/${body.threadId}/files/`)).toBe(true);
    expect(await (await env.FILES.get(file.r2_key))!.text()).toBe("Ferritin: 12 ng/mL");
    const [msg] = await messagesOf(body.threadId);
    expect(JSON.parse(msg.metadata).attachments).toMatchObject([{ id: files[0].file_id, name: "blood-test.txt" }]);
    // The member downloads it through the files API.
    const dl = await api(`/api/v1/conversations/${body.threadId}/files/${files[0].file_id}`, { token: s.access_token });
    expect(dl.status).toBe(200);
    expect(await dl.text()).toBe("Ferritin: 12 ng/mL");
  });
});

describe("POST /api/channels/email/process", () => {
  it("takes the spec's JSON fields through the same path (threadId continues our thread)", async () => {
    const s = await createCreator();
    const ch = await createEmailChannel(s);
    const first = await api("/api/channels/email/process", { method: "POST", token: s.access_token, json: { from: "kim@client.example.com", subject: "Knee pain", text: "My knee hurts after squats." } });
    expect(first.status).toBe(200);
    const a = (await first.json()) as any;
    expect(a).toMatchObject({ status: "processed", answered: true });
    await outboundMails(ch.id, 1);
    const second = await api("/api/channels/email/process", { method: "POST", token: s.access_token, json: { from: "kim@client.example.com", subject: "Re: Knee pain", text: "It is the left knee.", threadId: a.threadId } });
    expect(((await second.json()) as any).threadId).toBe(a.threadId);
  });

  it("refuses bad input with a clear error and writes nothing", async () => {
    const s = await createCreator();
    await createEmailChannel(s);
    const before = await countFor(s.creator.id);
    const noFrom = await processRaw(s, "Subject: hi\r\n\r\nno sender here");
    expect(noFrom.status).toBe(422);
    expect((await errorOf(noFrom)).message).toMatch(/From/);
    const empty = await processRaw(s, "");
    expect(empty.status).toBe(422);
    const wrongType = await api("/api/channels/email/process", { method: "POST", token: s.access_token, headers: { "Content-Type": "image/png" }, body: "x" });
    expect(wrongType.status).toBe(415);
    const badJson = await api("/api/channels/email/process", { method: "POST", token: s.access_token, json: { from: "not-an-address", text: "hi" } });
    expect(badJson.status).toBe(422);
    expect((await errorOf(badJson)).details[0]!.field).toBe("from");
    const huge = await processRaw(s, rawEmail({ from: "big@client.example.com", to: "x@y.z", text: "a".repeat(10 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect((await errorOf(huge)).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await countFor(s.creator.id)).toEqual(before);
  });

  it("needs an email channel of the caller's own (another creator's channel is 404)", async () => {
    const a = await createCreator();
    const chA = await createEmailChannel(a);
    const b = await createCreator();
    const none = await processRaw(b, rawEmail({ from: "x@client.example.com", to: chA.address }));
    expect(none.status).toBe(404);
    await createEmailChannel(b);
    const other = await processRaw(b, rawEmail({ from: "x@client.example.com", to: chA.address }), `?channel_id=${chA.id}`);
    expect(other.status).toBe(404);
    expect(await emailRows(chA.id)).toHaveLength(0);
    expect((await api("/api/channels/email/process", { method: "POST", headers: { "Content-Type": "message/rfc822" }, body: "x" })).status).toBe(401);
  });

  it("a mail naming another sender's thread does not join it (a new conversation of its own)", async () => {
    const s = await createCreator();
    const ch = await createEmailChannel(s);
    await deliver(rawEmail({ from: "owner@client.example.com", to: ch.address }), { from: "owner@client.example.com", to: ch.address });
    const [out] = await outboundMails(ch.id, 1);
    const res = await processRaw(s, rawEmail({ from: "intruder@evil.example.com", to: ch.address, inReplyTo: out!.rfc_message_id, references: [out!.rfc_message_id] }));
    const body = (await res.json()) as any;
    expect(body.threadId).not.toBe(out!.conversation_id);
    expect((await countFor(s.creator.id)).conversations).toBe(2);
  });
});

describe("POST /api/channels/email/send", () => {
  it("starts a thread (subject as given, no In-Reply-To) and the customer's reply threads into it", async () => {
    const s = await createCreator();
    const ch = await createEmailChannel(s, { from_name: "Coach Ana" });
    const res = await api("/api/channels/email/send", {
      method: "POST",
      token: s.access_token,
      json: { to: "Client@Example.com", subject: "Your Support Request", text: "Thank you for contacting us — we'll help.", html: "<p>Thank you</p>", replyTo: "support@example.com" },
    });
    expect(res.status).toBe(202);
    const sent = (await res.json()) as any;
    expect(sent).toMatchObject({ status: "queued", channel_id: ch.id, threadId: expect.any(String), messageId: expect.any(String) });
    const [out] = await outboundMails(ch.id, 1);
    const mail = await parseMail(out!.raw!);
    expect(mail.subject).toBe("Your Support Request");
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.from).toMatchObject({ name: "Coach Ana", address: ch.address });
    expect(mail.replyTo?.[0]?.address).toBe("support@example.com");
    expect(mail.text?.trim()).toBe("Thank you for contacting us — we'll help.");
    expect(mail.html).toContain("<p>Thank you</p>");
    // An agent's mail is a person's: no Auto-Submitted.
    expect(headerOf(mail, "auto-submitted")).toBeUndefined();

    const ours = mail.messageId!.replace(/[<>]/g, "");
    const back = await processRaw(s, rawEmail({ from: "client@example.com", to: ch.address, subject: "Re: Your Support Request", inReplyTo: ours, references: [ours] }));
    expect(((await back.json()) as any).threadId).toBe(sent.threadId);
    const outs = await outboundMails(ch.id, 2);
    expect((await parseMail(outs[1]!.raw!)).references).toContain(`<${ours}>`);
  });

  it("replies in a thread by threadId; another creator's thread is 404; bad input 422", async () => {
    const a = await createCreator();
    const chA = await createEmailChannel(a);
    await deliver(rawEmail({ from: "pat@client.example.com", to: chA.address }), { from: "pat@client.example.com", to: chA.address });
    const [first] = await outboundMails(chA.id, 1);
    const reply = await api("/api/channels/email/send", { method: "POST", token: a.access_token, json: { to: "pat@client.example.com", subject: "Re: Question about my plan", text: "One more thing…", threadId: first!.conversation_id } });
    expect(reply.status).toBe(202);
    const outs = await outboundMails(chA.id, 2);
    expect(outs[1]!.in_reply_to).toBe((await emailRows(chA.id, "in"))[0]!.rfc_message_id);

    const b = await createCreator();
    await createEmailChannel(b);
    const stolen = await api("/api/channels/email/send", { method: "POST", token: b.access_token, json: { to: "pat@client.example.com", subject: "Hi", text: "x", threadId: first!.conversation_id } });
    expect(stolen.status).toBe(404);
    const bad = await api("/api/channels/email/send", { method: "POST", token: a.access_token, json: { to: "nope", subject: "Hi\r\nBcc: victim@example.com", text: "" } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details.map((d) => d.field).sort()).toEqual(["subject", "text", "to"]);
  });
});

describe("agents' replies from the inbox", () => {
  it("an agent's message on the conversation's socket goes out as a threaded mail (no Auto-Submitted)", async () => {
    const s = await createCreator();
    const ch = await createEmailChannel(s);
    const firstId = `${crypto.randomUUID()}@client.example.com`;
    await deliver(rawEmail({ from: "jo@client.example.com", to: ch.address, subject: "Injury", messageId: firstId }), { from: "jo@client.example.com", to: ch.address });
    const [aiMail] = await outboundMails(ch.id, 1);
    const agent = await connect(`/api/v1/conversations/${aiMail!.conversation_id}/connect`, s.access_token);
    agent.send({ type: "message", id: "agent-1", text: "Hi Jo, a coach here: rest the ankle for two days." });
    await agent.next((f) => f.type === "ack" && f.id === "agent-1", { what: "ack" });
    // As on Telegram and WhatsApp, the customer also hears that a person joined (a system notice).
    const outs = await outboundMails(ch.id, 3);
    const mails = await Promise.all(outs.map((o) => parseMail(o.raw!)));
    expect(mails.map((m) => m.text?.trim())).toContain("Test Creator joined the conversation");
    const mail = mails.find((m) => m.text?.trim() === "Hi Jo, a coach here: rest the ankle for two days.")!;
    expect(mail).toBeDefined();
    expect(mail.subject).toBe("Re: Injury");
    expect(mail.inReplyTo).toBe(`<${firstId}>`);
    expect(mail.to?.[0]?.address).toBe("jo@client.example.com");
    expect(headerOf(mail, "auto-submitted")).toBeUndefined();
    agent.close();
  });
});

describe("POST /api/channels/email/listener/start|stop", () => {
  it("says there is no IMAP listener on Workers and names the inbound address and the Email Routing rule", async () => {
    const s = await createCreator();
    const ch = await createEmailChannel(s);
    for (const verb of ["start", "stop"]) {
      const res = await api(`/api/channels/email/listener/${verb}`, { method: "POST", token: s.access_token });
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body).toMatchObject({ status: "not_applicable", listening: true, inbound_addresses: [{ channel_id: ch.id, address: ch.address, status: "active" }] });
      expect(body.configure.join(" ")).toMatch(/Email Routing/);
    }
  });
});
