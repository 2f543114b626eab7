// A small local HTTP server that plays the Telegram Bot API and the WhatsApp Graph API for tests,
// the e2e run and the benchmark: records every call and answers from a script (429, 403, 5xx…)
// or with the documented success shape. A scripted status 0 drops the connection. Point TELEGRAM_API_BASE_URL at `${url}/telegram` and
// WHATSAPP_API_BASE_URL at `${url}/whatsapp/v21.0`.
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

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    const text = await readBody(req);
    let body: any = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }

    // Control API, used by the tests (they run inside workerd and can only talk HTTP).
    if (url.pathname === "/__stub/calls") return answer(res, 200, { calls: filtered(url.searchParams.get("key"), url.searchParams.get("method")) });
    if (url.pathname === "/__stub/script" && req.method === "POST") {
      scripts.set(`${body.key}:${body.method}`, [...(scripts.get(`${body.key}:${body.method}`) ?? []), ...body.answers]);
      return answer(res, 200, { ok: true });
    }

    const tg = /^\/telegram\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    const wa = /^\/whatsapp\/(?:[^/]+\/)?(\d+)\/messages$/.exec(url.pathname);
    if (!tg && !wa) return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const key = decodeURIComponent(tg ? tg[1]! : wa![1]!);
    const method = tg ? tg[2]! : "messages";
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    calls.push({ platform: tg ? "telegram" : "whatsapp", key, method, path: url.pathname, headers, body, at: Date.now() });

    const queued = scripts.get(`${key}:${method}`);
    if (queued?.length) {
      const next = queued.shift()!;
      // Status 0 plays a network failure: the connection drops without an answer.
      if (next.status === 0) return void req.socket.destroy();
      return answer(res, next.status, next.body);
    }
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
      return answer(res, 400, { ok: false, error_code: 400, description: `Bad Request: method ${method} not played by the stub` });
    }
    if (req.headers.authorization?.startsWith("Bearer ") !== true) return answer(res, 401, { error: { message: "Missing access token", code: 190 } });
    return answer(res, 200, { messaging_product: "whatsapp", contacts: [{ input: body?.to, wa_id: body?.to }], messages: [{ id: `wamid.STUB${++counter}` }] });
  });

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    calls: (filter = {}) => filtered(filter.key, filter.method),
    script: (key, method, answers) => scripts.set(`${key}:${method}`, [...(scripts.get(`${key}:${method}`) ?? []), ...answers]),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
