// MAIL_PROVIDER=send-email end to end under `wrangler dev`: the reply to an inbound mail goes through
// the real local `send_email` binding of miniflare (a test-only wrangler config adds `[[send_email]]
// name = "MAILER"`), which enforces the platform's rules on the EmailMessage (raw MIME that parses,
// a Message-ID, a From header equal to the envelope from, no Received header) and writes what it
// was given to an .eml file whose path it logs. The test reads that file.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import PostalMime from "postal-mime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { d1Execute, ROOT, startWranglerDev, type DevServer } from "../support/wrangler-dev";

let dev: DevServer;
let token: string;
// Beside wrangler.toml, so its relative paths (main, migrations, assets) resolve the same.
const configPath = join(ROOT, `.wrangler-send-email-${process.pid}.toml`);

async function call(path: string, init: { json?: unknown } = {}) {
  return fetch(`${dev.url}${path}`, {
    method: init.json === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json", ...(token && { Authorization: `Bearer ${token}` }) },
    ...(init.json !== undefined && { body: JSON.stringify(init.json) }),
  });
}

async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${dev.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The .eml files the local send_email binding wrote, in order (it logs "Email: <path>" for each). */
const sentFiles = () => [...dev.output().matchAll(/send_email binding called with the following message:\s*\n\s*Email: (\S+\.eml)/g)].map((m) => m[1]!);

beforeAll(async () => {
  // The development config plus the binding production has (send_email = [{ name = "MAILER" }]).
  writeFileSync(configPath, `${readFileSync(join(ROOT, "wrangler.toml"), "utf8")}\n# Test only: the local send_email binding.\n[[send_email]]\nname = "MAILER"\n`);
  dev = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false", MAIL_PROVIDER: "send-email" }, logLevel: "log", args: ["--config", configPath] });
  const res = await call("/api/v1/auth/register", { json: { email: `e2e-send-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "E2E Coach" } });
  expect(res.status).toBe(201);
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await dev?.stop();
  rmSync(configPath, { force: true });
});

describe("MAIL_PROVIDER=send-email with the local send_email binding", () => {
  it("an inbound mail's reply is sent through the binding as a threaded reply from the channel's address", async () => {
    const created = await call("/api/v1/channels", { json: { channel_type: "email", channel_name: "Coach Mail", configuration: { local_part: "coach" } } });
    expect(created.status).toBe(201);
    const address = ((await created.json()) as any).configuration.inbound_address as string;

    const firstId = `${crypto.randomUUID()}@client.example.com`;
    const raw = [
      `Received: from smtp.client.example.com (127.0.0.1) by cloudflare-email.com; ${new Date().toUTCString()}`,
      `From: "Maya Okafor" <maya@client.example.com>`,
      `To: ${address}`,
      "Subject: Rest days",
      `Message-ID: <${firstId}>`,
      `Date: ${new Date().toUTCString()}`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      "How many rest days should I take?",
      "",
    ].join("\r\n");
    const res = await fetch(`${dev.url}/cdn-cgi/handler/email?${new URLSearchParams({ from: "maya@client.example.com", to: address })}`, { method: "POST", body: raw });
    expect(res.status).toBe(200);

    // The binding accepted the message (it throws on a malformed one) and wrote it to disk.
    const [file] = await eventually(() => { const f = sentFiles(); return f.length >= 1 ? f : undefined; }, "the send_email binding's log line");
    const sent = await PostalMime.parse(readFileSync(file!));
    expect(sent.from?.address).toBe(address);
    expect(sent.to?.map((t) => t.address)).toEqual(["maya@client.example.com"]);
    expect(sent.subject).toBe("Re: Rest days");
    expect(sent.inReplyTo).toBe(`<${firstId}>`);
    expect(sent.references).toBe(`<${firstId}>`);
    expect(sent.headers.find((h) => h.key === "auto-submitted")?.value).toBe("auto-replied");
    expect(sent.text?.trim().length).toBeGreaterThan(0);
    expect(sent.messageId).toMatch(/^<.+@.+>$/);

    // Our outbox row says it was sent (not logged), with the same MIME headers.
    const rows = d1Execute(dev.persistDir, "SELECT status, subject, from_address, to_address, in_reply_to FROM email_messages WHERE direction = 'out'");
    expect(rows).toEqual([{ status: "sent", subject: "Re: Rest days", from_address: address, to_address: "maya@client.example.com", in_reply_to: firstId }]);
  });
});
