// End to end over a real `wrangler dev` (issue 14): a Telegram photo and a voice note arrive through
// the public webhook; the Worker fetches them from the platform stand-in (getFile + download), stores
// them as conversation files, has the voice note transcribed by the OpenAI-compatible stand-in
// (AI_PROVIDERS=openai) and answers the transcript; an agent downloads both files over the REST API.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOpenAiStub, type OpenAiStub } from "../support/openai-stub";
import { startPlatformStub, type PlatformStub } from "../support/platform-stub";
import { ROOT, startWranglerDev, type DevServer } from "../support/wrangler-dev";

const fixture = (name: string) => JSON.parse(readFileSync(join(ROOT, "test", "fixtures", name), "utf8"));

let stub: PlatformStub;
let openai: OpenAiStub;
let dev: DevServer;
let token: string;

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set("Content-Type", "application/json");
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return fetch(`${dev.url}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
}

async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${dev.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Bytes with a real signature, ending with what the OpenAI stand-in "hears". */
function bytesOf(head: number[], tail: string, size: number): Buffer {
  const out = Buffer.alloc(size, 0x41);
  Buffer.from(head).copy(out, 0);
  Buffer.from(tail).copy(out, size - tail.length);
  return out;
}

beforeAll(async () => {
  stub = await startPlatformStub();
  openai = await startOpenAiStub();
  dev = await startWranglerDev({
    vars: {
      TELEGRAM_API_BASE_URL: `${stub.url}/telegram`,
      WHATSAPP_API_BASE_URL: `${stub.url}/whatsapp/v21.0`,
      RATE_LIMITS_ENABLED: "false",
      // Speech to text from the OpenAI-compatible stand-in; answers stay on the local provider.
      AI_PROVIDERS: "openai",
      OPENAI_BASE_URL: openai.url,
    },
  });
  const res = await call("/api/v1/auth/register", { method: "POST", json: { email: `media-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Media Coach" } });
  expect(res.status).toBe(201);
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await dev?.stop();
  await stub?.close();
  await openai?.close();
});

describe("Telegram media over wrangler dev", () => {
  it("a photo and a voice note are stored as conversation files; the voice note is transcribed and answered", async () => {
    const botToken = "7001234567:AAHdqTcvCH1vGWJxfSeofSAs0K5PALmedia1";
    const created = await call("/api/v1/channels", { method: "POST", json: { channel_type: "telegram", channel_name: "Coach bot", configuration: { bot_token: botToken } } });
    expect(created.status).toBe(201);
    const channel = (await created.json()) as { id: string };
    const [hook] = stub.calls({ key: botToken, method: "setWebhook" });
    const post = (update: unknown) =>
      fetch(`${dev.url}/webhooks/telegram/${channel.id}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": hook!.body.secret_token },
        body: JSON.stringify(update),
      });

    // The photo: the largest size is fetched; its caption is the message's text.
    const photo = bytesOf([0xff, 0xd8, 0xff, 0xe0], "", 6000);
    stub.addMedia("telegram", "AgACAgIAAxkBAAIBPhoto", photo, "application/octet-stream");
    const text = fixture("telegram/text-message.json");
    const photoUpdate = {
      update_id: text.update_id + 500,
      message: { ...text.message, message_id: 5001, text: undefined, caption: "my breakfast today", photo: [{ file_id: "AgACAgIAAxkBAAIBPhoto", file_unique_id: "p1", width: 1280, height: 960, file_size: 6000 }] },
    };
    expect((await post(photoUpdate)).status).toBe(200);

    // The voice note: the fixture, its bytes served by the stand-in.
    const voice = fixture("telegram/voice-message.json");
    const ogg = bytesOf([0x4f, 0x67, 0x67, 0x53, 0x00, 0x02], "SPEECH:How many rest days do beginners need?", voice.message.voice.file_size);
    stub.addMedia("telegram", voice.message.voice.file_id, ogg, "application/octet-stream");
    expect((await post(voice)).status).toBe(200);

    // Both messages answered through the channel (the photo's caption, then the voice note's transcript).
    await eventually(() => stub.calls({ key: botToken, method: "sendMessage" }).length >= 2, "two answers");
    expect(stub.calls({ key: botToken, method: "getFile" }).map((c) => c.body.file_id).sort()).toEqual(["AgACAgIAAxkBAAIBPhoto", voice.message.voice.file_id].sort());

    const list = (await (await call("/api/v1/conversations?channel=telegram")).json()) as { data?: { id: string }[]; conversations?: { id: string }[] };
    const conversationId = (list.data ?? list.conversations ?? [])[0]!.id;
    const messages = await eventually(async () => {
      const body = (await (await call(`/api/v1/conversations/${conversationId}/messages`)).json()) as { data?: any[]; messages?: any[] };
      const rows = body.data ?? body.messages ?? [];
      return rows.some((m) => m.text === "How many rest days do beginners need?") ? rows : undefined;
    }, "the transcript as the voice note's text");
    const users = messages.filter((m) => m.sender === "user");
    expect(users.map((m) => m.text).sort()).toEqual(["How many rest days do beginners need?", "my breakfast today"]);
    expect(messages.filter((m) => m.sender === "ai")).toHaveLength(2);
    // No "[photo]" / "[voice]" placeholders and no "can't listen" notice.
    expect(messages.some((m) => /^\[(photo|voice)\]/.test(m.text) || /can't listen/i.test(m.text))).toBe(false);

    // The files, downloaded by a member: the platform's bytes, with their types.
    const files = ((await (await call(`/api/v1/conversations/${conversationId}/files`)).json()) as { files: { id: string; name: string; content_type: string; source: string; download_url: string }[] }).files;
    expect(files.map((f) => [f.content_type, f.source]).sort()).toEqual([["audio/ogg", "telegram"], ["image/jpeg", "telegram"]]);
    for (const f of files) {
      const res = await call(f.download_url);
      expect(res.status).toBe(200);
      const got = Buffer.from(await res.arrayBuffer());
      const want = f.content_type === "audio/ogg" ? ogg : photo;
      expect(createHash("sha256").update(got).digest("hex")).toBe(createHash("sha256").update(want).digest("hex"));
    }
    // The stand-in heard the voice note's own bytes.
    const log = (await (await fetch(`${openai.url.replace(/\/v1$/, "")}/__log`)).json()) as { path: string; body: any }[];
    expect(log.filter((l) => l.path === "/v1/audio/transcriptions").map((l) => l.body.type)).toEqual(["audio/ogg"]);
  });
});
