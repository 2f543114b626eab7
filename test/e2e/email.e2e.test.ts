// End to end over a real `wrangler dev`: a raw message posted to /cdn-cgi/handler/email (what Email
// Routing does in production) reaches the Worker's email() handler, and the threaded reply appears in
// the local outbox (MAIL_PROVIDER=log keeps the MIME in email_messages).
import PostalMime from "postal-mime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { d1Execute, startWranglerDev, type DevServer } from "../support/wrangler-dev";

let dev: DevServer;
let token: string;

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set("Content-Type", "application/json");
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return fetch(`${dev.url}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
}

async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${dev.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const mail = (m: { from: string; to: string; subject: string; id: string; text: string; inReplyTo?: string; references?: string[] }) =>
  [
    `Received: from smtp.client.example.com (127.0.0.1) by cloudflare-email.com; ${new Date().toUTCString()}`,
    `From: "Maya Okafor" <${m.from}>`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    `Message-ID: <${m.id}>`,
    ...(m.inReplyTo ? [`In-Reply-To: <${m.inReplyTo}>`] : []),
    ...(m.references ? [`References: ${m.references.map((r) => `<${r}>`).join(" ")}`] : []),
    `Date: ${new Date().toUTCString()}`,
    "Content-Type: text/plain; charset=utf-8",
    "",
    m.text,
    "",
  ].join("\r\n");

const handlerEmail = (from: string, to: string, raw: string) =>
  fetch(`${dev.url}/cdn-cgi/handler/email?${new URLSearchParams({ from, to })}`, { method: "POST", body: raw });

const outbox = () => d1Execute(dev.persistDir, "SELECT conversation_id, rfc_message_id, in_reply_to, subject, raw FROM email_messages WHERE direction = 'out' ORDER BY created_at") as { conversation_id: string; rfc_message_id: string; in_reply_to: string; subject: string; raw: string }[];

beforeAll(async () => {
  dev = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false" } });
  const res = await call("/api/v1/auth/register", { method: "POST", json: { email: `e2e-mail-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "E2E Coach" } });
  expect(res.status).toBe(201);
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await dev?.stop();
});

describe("email over wrangler dev", () => {
  it("a raw message posted to /cdn-cgi/handler/email gets a threaded reply in the local outbox, and the answer to it threads into the same conversation", async () => {
    const created = await call("/api/v1/channels", { method: "POST", json: { channel_type: "email", channel_name: "Coach Mail", configuration: { local_part: "coach" } } });
    expect(created.status).toBe(201);
    const address = ((await created.json()) as any).configuration.inbound_address as string;
    expect(address).toBe("coach@mail.edgecoach.localhost");

    const firstId = `${crypto.randomUUID()}@client.example.com`;
    const res = await handlerEmail("maya@client.example.com", address, mail({ from: "maya@client.example.com", to: address, subject: "Rest days", id: firstId, text: "How many rest days should I take?" }));
    expect(res.status).toBe(200);
    const [first] = await eventually(() => { const rows = outbox(); return rows.length >= 1 ? rows : undefined; }, "the reply in the outbox");
    const reply = await PostalMime.parse(first!.raw);
    expect(reply.subject).toBe("Re: Rest days");
    expect(reply.inReplyTo).toBe(`<${firstId}>`);
    expect(reply.references).toBe(`<${firstId}>`);
    expect(reply.from?.address).toBe(address);
    expect(reply.to?.[0]?.address).toBe("maya@client.example.com");
    expect(reply.messageId).toMatch(/@mail\.edgecoach\.localhost>$/);

    const ours = reply.messageId!.replace(/[<>]/g, "");
    const secondId = `${crypto.randomUUID()}@client.example.com`;
    await handlerEmail("maya@client.example.com", address, mail({ from: "maya@client.example.com", to: address, subject: "Re: Rest days", id: secondId, inReplyTo: ours, references: [firstId, ours], text: "And on rest days, can I walk?" }));
    const rows = await eventually(() => { const r = outbox(); return r.length >= 2 ? r : undefined; }, "the second reply");
    expect(rows[1]!.conversation_id).toBe(first!.conversation_id);
    const second = await PostalMime.parse(rows[1]!.raw);
    expect(second.inReplyTo).toBe(`<${secondId}>`);
    expect(second.references).toBe(`<${firstId}> <${ours}> <${secondId}>`);

    // An auto-reply to our reply is recorded and never answered.
    await handlerEmail("maya@client.example.com", address, mail({ from: "maya@client.example.com", to: address, subject: "Out of office", id: `${crypto.randomUUID()}@client.example.com`, inReplyTo: rows[1]!.rfc_message_id, text: "I am away" }).replace("Subject:", "Auto-Submitted: auto-replied\r\nSubject:"));
    await eventually(() => d1Execute(dev.persistDir, "SELECT 1 AS x FROM email_messages WHERE status = 'ignored' AND ignored_reason = 'auto_reply'").length === 1, "the auto-reply recorded");
    await new Promise((r) => setTimeout(r, 2000));
    expect(outbox()).toHaveLength(2);

    // Mail to an address nobody has is refused at SMTP time.
    const unknown = await handlerEmail("x@client.example.com", "nobody@mail.edgecoach.localhost", mail({ from: "x@client.example.com", to: "nobody@mail.edgecoach.localhost", subject: "hi", id: `${crypto.randomUUID()}@client.example.com`, text: "hi" }));
    expect(unknown.status).not.toBe(200);
  });
});
