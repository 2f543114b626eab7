// A stand-in for an OpenAI-compatible server (Ollama, vLLM, OpenAI) on 127.0.0.1: deterministic
// embeddings, a streamed chat completion that quotes the sources it was given, audio transcription and
// speech, and a request log. A path prefix `/t/<tag>` gives a test its own model list (POST /t/<tag>/__models).
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

/** The transcript the stub "hears": the text after SPEECH: in the bytes, else a description of them. */
export function stubTranscript(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("latin1");
  const spoken = /SPEECH:([^\0]*)/.exec(text)?.[1]?.trim();
  if (spoken) return spoken;
  let sum = 0;
  for (const b of bytes) sum = (sum + b) % 65521;
  return `(${bytes.length} bytes of sound, checksum ${sum})`;
}

export async function startOpenAiStub(): Promise<OpenAiStub> {
  const log: { path: string; body: unknown }[] = [];
  const models = new Map<string, string[]>();
  const server: Server = createServer(async (req, res) => {
    let path = req.url ?? "/";
    const tag = /^\/t\/([\w-]+)(\/.*)$/.exec(path);
    if (tag) path = tag[2]!;
    if (req.method === "POST" && path === "/__models" && tag) {
      models.set(tag[1]!, (await body(req)).models);
      res.writeHead(204).end();
      return;
    }
    if (req.method === "POST" && path === "/v1/audio/transcriptions") {
      // Multipart as OpenAI takes it: file, model, language?, response_format.
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = await new Request("http://stub/", { method: "POST", headers: { "content-type": String(req.headers["content-type"]) }, body: Buffer.concat(chunks) }).formData();
      const file = form.get("file");
      log.push({ path, body: { model: form.get("model"), language: form.get("language"), filename: file instanceof File ? file.name : null, type: file instanceof File ? file.type : null, auth: req.headers.authorization ?? null } });
      if (!(file instanceof File) || !form.get("model")) {
        res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { message: "file and model are required" } }));
        return;
      }
      const heard = stubTranscript(new Uint8Array(await file.arrayBuffer()));
      if (heard.includes("FAIL_TRANSCRIPTION")) {
        res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { message: "boom" } }));
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ text: heard, language: String(form.get("language") || "en") }));
      return;
    }
    if (req.method === "GET" && path === "/v1/models" && tag && models.has(tag[1]!)) {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ object: "list", data: models.get(tag[1]!)!.map((id) => ({ id, object: "model" })) }));
      return;
    }
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
    if (req.method === "POST" && path === "/v1/audio/speech") {
      // "Speech" that tests can read back: an ID3-tagged MP3 header followed by the text it says.
      if (!payload.input || !payload.model) {
        res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { message: "input and model are required" } }));
        return;
      }
      res.writeHead(200, { "Content-Type": "audio/mpeg" }).end(Buffer.concat([Buffer.from("ID3\x04\0\0\0\0\0\0", "latin1"), Buffer.from(`SPEECH:${payload.input}|voice=${payload.voice}`)]));
      return;
    }
    if (req.method === "POST" && path === "/v1/chat/completions") {
      const last = payload.messages?.at(-1)?.content;
      // Image content parts (vision): the stub says how many images it saw and their types.
      const parts: any[] = Array.isArray(last) ? last : [];
      const images = parts.filter((p) => p?.type === "image_url").map((p) => /^data:([^;,]+)/.exec(String(p.image_url?.url ?? ""))?.[1] ?? "url");
      const user = Array.isArray(last) ? parts.filter((p) => p?.type === "text").map((p) => p.text).join("\n") : String(last ?? "");
      const system = String(payload.messages?.[0]?.content ?? "");
      if (system.startsWith("PARAMETER_EXTRACTION")) {
        // The prompt compiler's extraction (src/modules/aisuite/prompt-compiler.ts): numbers in order of
        // appearance for number fields, a listed value for enums — reading "34" as an age needs no "age:".
        const fields = [...system.matchAll(/^- (\w+) \((?:one of ([^)]*)|(\w+))\)$/gm)]; // fields with a default are left to it
        const numbers = user.match(/-?\d+(?:\.\d+)?/g) ?? [];
        const out: Record<string, unknown> = {};
        for (const [, name, options, type] of fields) {
          if (options) {
            const hit = options.split(", ").find((o) => user.toLowerCase().includes(o.toLowerCase()));
            if (hit) out[name!] = hit;
          } else if ((type === "number" || type === "integer") && numbers.length) out[name!] = Number(numbers.shift());
        }
        const reply = user.includes("BAD_JSON") ? "I think the age is thirty" : `Here you go: ${JSON.stringify(out)}`;
        res.writeHead(200, { "Content-Type": "text/event-stream" });
        for (const piece of reply.match(/.{1,12}/gs) ?? []) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
        res.end("data: [DONE]\n\n");
        return;
      }
      if (!system.startsWith("MEMORY_EXTRACTION") && !/<source id="1"/.test(user)) {
        // A plain chat (aisuite, test-chat, prompt tools): echoes what it was asked, streamed or not.
        const reply = `Stub ${payload.model} heard: ${user.slice(0, 200)}${images.length ? ` [saw ${images.length} image(s): ${images.join(", ")}]` : ""}`;
        if (!payload.stream) {
          res.writeHead(200, { "Content-Type": "application/json" }).end(
            JSON.stringify({ id: "chatcmpl-stub", object: "chat.completion", model: payload.model, choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }], usage: { prompt_tokens: user.length, completion_tokens: reply.length, total_tokens: user.length + reply.length } }),
          );
          return;
        }
        res.writeHead(200, { "Content-Type": "text/event-stream" });
        for (const piece of reply.match(/.{1,12}/gs) ?? []) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
        res.end("data: [DONE]\n\n");
        return;
      }
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
