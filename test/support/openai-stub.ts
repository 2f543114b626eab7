// A stand-in for an OpenAI-compatible server (Ollama, vLLM, OpenAI) on 127.0.0.1: deterministic
// embeddings, a streamed chat completion that quotes the sources it was given, and a request log.
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface OpenAiStub {
  url: string;
  close(): Promise<void>;
}

const DIMS = 16;

function embed(text: string): number[] {
  const v = new Array<number>(DIMS).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619) >>> 0;
    v[h % DIMS]! += 1;
  }
  return v;
}

async function body(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : {};
}

export async function startOpenAiStub(): Promise<OpenAiStub> {
  const log: { path: string; body: unknown }[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    if (req.method === "GET" && path === "/__log") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(log));
      return;
    }
    if (req.method === "DELETE" && path === "/__log") {
      log.length = 0;
      res.writeHead(204).end();
      return;
    }
    if (req.method === "GET" && path === "/v1/models") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ data: [{ id: "stub-chat" }, { id: "stub-embed" }] }));
      return;
    }
    const payload = await body(req);
    log.push({ path, body: payload });
    if (req.method === "POST" && path === "/v1/embeddings") {
      const input: string[] = Array.isArray(payload.input) ? payload.input : [payload.input];
      if (input.some((t) => t.includes("FAIL_EMBEDDING"))) {
        res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "boom" }));
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(
        JSON.stringify({ object: "list", model: payload.model, data: input.map((t, index) => ({ object: "embedding", index, embedding: embed(t) })) }),
      );
      return;
    }
    if (req.method === "POST" && path === "/v1/chat/completions") {
      const user = String(payload.messages?.at(-1)?.content ?? "");
      // The memory extraction prompt (src/ai/memory-facts.ts): a JSON reply naming a stated preference,
      // or not JSON at all when the message says "BAD_JSON".
      if (String(payload.messages?.[0]?.content ?? "").startsWith("MEMORY_EXTRACTION")) {
        const preference = /\bI (?:really )?(?:like|enjoy) ([^.!?]+)/i.exec(user)?.[1];
        const reply = user.includes("BAD_JSON") ? "Sure! Here are the facts" : JSON.stringify({ memories: preference ? [{ key: "preference", value: preference }, { key: "Bad Key!", value: "x" }] : [] });
        res.writeHead(200, { "Content-Type": "text/event-stream" });
        for (const piece of reply.match(/.{1,12}/g) ?? []) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
        res.end("data: [DONE]\n\n");
        return;
      }
      const firstSource = /<source id="1"[^>]*>\n([^\n]*)/.exec(user)?.[1] ?? "nothing";
      const reply = `Stub model says: ${firstSource.slice(0, 80)} [1]`;
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      for (const piece of reply.match(/.{1,12}/g) ?? []) {
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
      }
      res.end("data: [DONE]\n\n");
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
