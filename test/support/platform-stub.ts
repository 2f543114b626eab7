// A small local HTTP server that plays the Telegram Bot API and the WhatsApp Graph API for tests,
// the e2e run and the benchmark: records every call and answers from a script (429, 403, 5xx…)
// or with the documented success shape. A scripted status 0 drops the connection. Point TELEGRAM_API_BASE_URL at `${url}/telegram` and
// WHATSAPP_API_BASE_URL at `${url}/whatsapp/v21.0`.
// Media: tests register files (`POST /__stub/media` {platform, id, base64, mime_type, file_name?});
// Telegram's getFile + `/file/bot<token>/<file_path>` download and the Graph API's media id → URL →
// bytes (with the bearer token) serve them; sendPhoto/sendDocument/sendVoice/sendAudio/sendVideo and
// the Graph `/{phone-number-id}/media` upload take multipart bodies, recorded with their file's size
// and SHA-256 (`body.file`).
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface RecordedCall {
  platform: "telegram" | "whatsapp";
  /** Bot token (Telegram) or phone_number_id (WhatsApp). */
  key: string;
  /** Bot API method, or "messages". */
  method: string;
  path: string;
  headers: Record<string, string>;
  body: any;
  at: number;
}

export interface ScriptedAnswer {
  status: number;
  body: unknown;
}

export interface PlatformStub {
  url: string;
  port: number;
  calls(filter?: { key?: string; method?: string }): RecordedCall[];
  script(key: string, method: string, answers: ScriptedAnswer[]): void;
  /** Registers a file the platform will serve (Telegram file_id or WhatsApp media id). */
  addMedia(platform: "telegram" | "whatsapp", id: string, bytes: Uint8Array, mimeType: string, fileName?: string): void;
  close(): Promise<void>;
}

export async function startPlatformStub(port = 0): Promise<PlatformStub> {
  const calls: RecordedCall[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  let counter = 1000;

  const filtered = (key?: string | null, method?: string | null) => calls.filter((c) => (!key || c.key === key) && (!method || c.method === method));

  function answer(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  }

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Registered media by platform and id (Telegram file_id, WhatsApp media id). */
  const media = new Map<string, { bytes: Buffer; mimeType: string; fileName?: string; path: string }>();
  const mediaKey = (platform: string, id: string) => `${platform}:${id}`;
  function addMedia(platform: string, id: string, bytes: Uint8Array, mimeType: string, fileName?: string) {
    const ext = (fileName?.includes(".") && fileName.split(".").pop()) || "bin";
    media.set(mediaKey(platform, id), { bytes: Buffer.from(bytes), mimeType, fileName, path: `media/${encodeURIComponent(id)}.${ext}` });
  }

  /** A multipart body as plain fields, its file summarized (name, type, size, sha256). */
  async function parseMultipart(raw: Buffer, contentType: string): Promise<Record<string, unknown>> {
    const form = await new Request("http://stub/", { method: "POST", headers: { "Content-Type": contentType }, body: raw }).formData();
    const out: Record<string, unknown> = {};
    for (const [name, value] of form.entries()) {
      if (typeof value === "string") out[name] = value;
      else {
        const bytes = Buffer.from(await value.arrayBuffer());
        out[name] = { field: name, name: value.name, type: value.type, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
        out.file = out[name];
      }
    }
    return out;
  }

  function sendBytes(res: ServerResponse, bytes: Buffer, mimeType: string) {
    res.writeHead(200, { "Content-Type": mimeType, "Content-Length": String(bytes.length) });
    res.end(bytes);
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    const raw = await readBody(req);
    const text = raw.toString("utf8");
    const contentType = req.headers["content-type"] ?? "";
    let body: any = undefined;
    if (contentType.startsWith("multipart/form-data")) {
      body = await parseMultipart(raw, contentType).catch(() => text);
    } else {
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
    }

    // Control API, used by the tests (they run inside workerd and can only talk HTTP).
    if (url.pathname === "/__stub/calls") return answer(res, 200, { calls: filtered(url.searchParams.get("key"), url.searchParams.get("method")) });
    if (url.pathname === "/__stub/script" && req.method === "POST") {
      scripts.set(`${body.key}:${body.method}`, [...(scripts.get(`${body.key}:${body.method}`) ?? []), ...body.answers]);
      return answer(res, 200, { ok: true });
    }
    if (url.pathname === "/__stub/media" && req.method === "POST") {
      addMedia(body.platform, body.id, Buffer.from(String(body.base64 ?? ""), "base64"), body.mime_type, body.file_name);
      return answer(res, 200, { ok: true });
    }

    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const record = (platform: "telegram" | "whatsapp", key: string, method: string) => calls.push({ platform, key, method, path: url.pathname, headers, body, at: Date.now() });
    /** A scripted answer for (key, method), if any: true when it was sent. */
    const scripted = (key: string, method: string): boolean => {
      const queued = scripts.get(`${key}:${method}`);
      if (!queued?.length) return false;
      const next = queued.shift()!;
      // Status 0 plays a network failure: the connection drops without an answer.
      if (next.status === 0) req.socket.destroy();
      else answer(res, next.status, next.body);
      return true;
    };

    // Telegram file download: https://api.telegram.org/file/bot<token>/<file_path>
    const tgFile = /^\/telegram\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (tgFile) {
      const key = decodeURIComponent(tgFile[1]!);
      record("telegram", key, "download");
      if (scripted(key, "download")) return;
      const found = [...media.entries()].find(([k, m]) => k.startsWith("telegram:") && m.path === tgFile[2]);
      if (!found) return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      return sendBytes(res, found[1].bytes, found[1].mimeType);
    }
    // WhatsApp media: GET /{media-id} → { url, mime_type, sha256, file_size, id }; GET url → bytes.
    const waDownload = /^\/whatsapp\/download\/(\d+)$/.exec(url.pathname);
    const waMediaInfo = req.method === "GET" ? /^\/whatsapp\/(?:v[^/]+\/)?(\d+)$/.exec(url.pathname) : null;
    if (waDownload || waMediaInfo) {
      const id = (waDownload ?? waMediaInfo)![1]!;
      const method = waDownload ? "media_download" : "media_info";
      record("whatsapp", id, method);
      if (req.headers.authorization?.startsWith("Bearer ") !== true) return answer(res, 401, { error: { message: "Missing access token", code: 190 } });
      if (scripted(id, method)) return;
      const found = media.get(mediaKey("whatsapp", id));
      if (!found) return answer(res, 400, { error: { message: "(#100) Invalid media id", type: "OAuthException", code: 100 } });
      if (waDownload) return sendBytes(res, found.bytes, found.mimeType);
      const host = req.headers.host ?? "127.0.0.1";
      return answer(res, 200, {
        messaging_product: "whatsapp",
        url: `http://${host}/whatsapp/download/${id}`,
        mime_type: found.mimeType,
        sha256: createHash("sha256").update(found.bytes).digest("hex"),
        file_size: found.bytes.length,
        id,
      });
    }

    const tg = /^\/telegram\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    const wa = /^\/whatsapp\/(?:[^/]+\/)?(\d+)\/(messages|media)$/.exec(url.pathname);
    if (!tg && !wa) return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const key = decodeURIComponent(tg ? tg[1]! : wa![1]!);
    const method = tg ? tg[2]! : wa![2]!;
    record(tg ? "telegram" : "whatsapp", key, method);
    if (scripted(key, method)) return;
    if (tg) {
      if (method === "getMe") {
        const id = Number(key.split(":")[0]);
        return answer(res, 200, { ok: true, result: { id, is_bot: true, first_name: "CoachBot", username: `coach_${id}_bot` } });
      }
      if (method === "setWebhook") return answer(res, 200, { ok: true, result: true, description: "Webhook was set" });
      if (method === "deleteWebhook") return answer(res, 200, { ok: true, result: true, description: "Webhook was deleted" });
      if (method === "answerCallbackQuery") return answer(res, 200, { ok: true, result: true });
      if (method === "sendMessage") {
        return answer(res, 200, {
          ok: true,
          result: { message_id: ++counter, from: { id: Number(key.split(":")[0]), is_bot: true, first_name: "CoachBot" }, chat: { id: Number(body?.chat_id), type: "private" }, date: Math.floor(Date.now() / 1000), text: body?.text },
        });
      }
      if (method === "getFile") {
        const found = media.get(mediaKey("telegram", String(body?.file_id ?? "")));
        if (!found) return answer(res, 400, { ok: false, error_code: 400, description: "Bad Request: invalid file_id" });
        return answer(res, 200, { ok: true, result: { file_id: body.file_id, file_unique_id: `u${body.file_id}`.slice(0, 16), file_size: found.bytes.length, file_path: found.path } });
      }
      const sendMedia = /^send(Photo|Document|Voice|Audio|Video)$/.exec(method);
      if (sendMedia) {
        const field = sendMedia[1]!.toLowerCase();
        const file = body?.[field];
        if (!file || typeof file !== "object") return answer(res, 400, { ok: false, error_code: 400, description: `Bad Request: there is no ${field} in the request` });
        return answer(res, 200, {
          ok: true,
          result: { message_id: ++counter, chat: { id: Number(body?.chat_id), type: "private" }, date: Math.floor(Date.now() / 1000), ...(body?.caption && { caption: body.caption }), [field]: { file_id: `stub-${counter}`, file_size: file.size } },
        });
      }
      return answer(res, 400, { ok: false, error_code: 400, description: `Bad Request: method ${method} not played by the stub` });
    }
    if (req.headers.authorization?.startsWith("Bearer ") !== true) return answer(res, 401, { error: { message: "Missing access token", code: 190 } });
    if (method === "media") {
      if (body?.messaging_product !== "whatsapp" || !body?.file) return answer(res, 400, { error: { message: "(#100) The parameter messaging_product and file are required", code: 100 } });
      return answer(res, 200, { id: String(9_000_000_000_000 + ++counter) });
    }
    return answer(res, 200, { messaging_product: "whatsapp", contacts: [{ input: body?.to, wa_id: body?.to }], messages: [{ id: `wamid.STUB${++counter}` }] });
  });

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    calls: (filter = {}) => filtered(filter.key, filter.method),
    addMedia,
    script: (key, method, answers) => scripts.set(`${key}:${method}`, [...(scripts.get(`${key}:${method}`) ?? []), ...answers]),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
