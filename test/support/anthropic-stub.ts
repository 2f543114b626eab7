// A stand-in for Anthropic's Messages API on 127.0.0.1: x-api-key and anthropic-version checked, SSE
// events as Anthropic sends them (message_start, content_block_start, ping, content_block_delta,
// content_block_stop, message_delta, message_stop), GET /v1/models, and a request log at /__log.
import { createServer, type IncomingMessage, type Server } from "node:http";

export const ANTHROPIC_STUB_KEY = "sk-ant-stub-key";

async function json(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : {};
}

export async function startAnthropicStub(): Promise<{ url: string; close(): Promise<void> }> {
  const log: { path: string; headers: Record<string, unknown>; body: unknown }[] = [];
  const models = new Map<string, string[]>();
  const server: Server = createServer(async (req, res) => {
    let path = req.url ?? "/";
    const tag = /^\/t\/([\w-]+)(\/.*)$/.exec(path);
    if (tag) path = tag[2]!;
    const send = (status: number, body: unknown) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    if (path === "/__log") {
      if (req.method === "DELETE") log.length = 0;
      send(200, log);
      return;
    }
    if (req.method === "POST" && path === "/__models" && tag) {
      models.set(tag[1]!, (await json(req)).models);
      send(200, {});
      return;
    }
    if (req.headers["x-api-key"] !== ANTHROPIC_STUB_KEY) {
      send(401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
      return;
    }
    if (!req.headers["anthropic-version"]) {
      send(400, { type: "error", error: { type: "invalid_request_error", message: "anthropic-version header is required" } });
      return;
    }
    if (req.method === "GET" && path.startsWith("/v1/models")) {
      const ids = (tag && models.get(tag[1]!)) ?? ["claude-sonnet-4-5", "claude-haiku-4-5"];
      send(200, { data: ids.map((id) => ({ type: "model", id, display_name: id })), has_more: false });
      return;
    }
    if (req.method === "POST" && path === "/v1/messages") {
      const body = await json(req);
      log.push({ path, headers: { "anthropic-version": req.headers["anthropic-version"] }, body });
      if (typeof body.max_tokens !== "number" || !Array.isArray(body.messages) || body.messages[0]?.role !== "user") {
        send(400, { type: "error", error: { type: "invalid_request_error", message: "max_tokens and messages starting with a user turn are required" } });
        return;
      }
      const last = body.messages.at(-1);
      const blocks: any[] = typeof last.content === "string" ? [{ type: "text", text: last.content }] : last.content;
      const text = blocks.filter((b) => b.type === "text").map((b) => b.text).join("\n");
      const images = blocks.filter((b) => b.type === "image").map((b) => b.source?.media_type);
      const source = /<source id="1"[^>]*>\n([^\n]*)/.exec(text)?.[1];
      const reply = source
        ? `Claude says: ${source.slice(0, 80)} [1]`
        : `Claude ${body.model} heard: ${text.slice(0, 200)}${images.length ? ` [saw ${images.length} image(s): ${images.join(", ")}]` : ""}${body.system ? ` (system: ${String(body.system).slice(0, 40)})` : ""}`;
      if (text.includes("FAIL_ANTHROPIC")) {
        send(529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
        return;
      }
      if (!body.stream) {
        send(200, { id: "msg_stub", type: "message", role: "assistant", model: body.model, content: [{ type: "text", text: reply }], stop_reason: "end_turn", usage: { input_tokens: text.length, output_tokens: reply.length } });
        return;
      }
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      const ev = (type: string, data: unknown) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...(data as object) })}\n\n`);
      ev("message_start", { message: { id: "msg_stub", type: "message", role: "assistant", model: body.model, content: [], usage: { input_tokens: text.length, output_tokens: 1 } } });
      ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
      ev("ping", {});
      for (const piece of reply.match(/.{1,10}/gs) ?? []) ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: piece } });
      ev("content_block_stop", { index: 0 });
      ev("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: reply.length } });
      ev("message_stop", {});
      res.end();
      return;
    }
    send(404, { type: "error", error: { type: "not_found_error", message: path } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
