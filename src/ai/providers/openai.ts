// AI_PROVIDER=openai: any OpenAI-compatible server (Ollama, vLLM, OpenAI, Groq); answers stream by SSE.
import { l2normalize, type AiProvider } from "./types";
import { sseData } from "./sse";

export interface OpenAiSettings {
  baseUrl: string;
  apiKey?: string;
  chatModel: string;
  embeddingModel: string;
}

export class ProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProviderError";
  }
}

export function openAiProvider(settings: OpenAiSettings, fetcher: typeof fetch = fetch): AiProvider {
  const headers = () => ({
    "Content-Type": "application/json",
    ...(settings.apiKey ? { Authorization: `Bearer ${settings.apiKey}` } : {}),
  });
  const call = async (path: string, body: unknown) => {
    const res = await fetcher(`${settings.baseUrl}${path}`, { method: "POST", headers: headers(), body: JSON.stringify(body) });
    if (!res.ok) throw new ProviderError(`${path} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return res;
  };
  return {
    name: "openai",
    embeddingModel: settings.embeddingModel,
    chatModel: settings.chatModel,
    async embed(texts) {
      if (!texts.length) return [];
      const res = await call("/embeddings", { model: settings.embeddingModel, input: texts });
      const body = (await res.json()) as { data?: { index?: number; embedding: number[] }[] };
      const data = body.data ?? [];
      if (data.length !== texts.length) throw new ProviderError(`embeddings: expected ${texts.length} vectors, got ${data.length}`);
      const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      return ordered.map((d) => l2normalize(Float32Array.from(d.embedding)));
    },
    async *generate(prompt) {
      const res = await call("/chat/completions", {
        model: settings.chatModel,
        messages: prompt.messages,
        stream: true,
        temperature: 0.2,
      });
      if (!res.body) throw new ProviderError("chat/completions answered without a body");
      for await (const data of sseData(res.body)) {
        if (data === "[DONE]") return;
        let parsed: { choices?: { delta?: { content?: string } }[] };
        try {
          parsed = JSON.parse(data);
        } catch {
          continue;
        }
        const delta = parsed.choices?.[0]?.delta?.content;
        if (delta) yield delta;
      }
    },
    async health() {
      try {
        const res = await fetcher(`${settings.baseUrl}/models`, { headers: headers() });
        return res.ok ? { status: "available" } : { status: "unavailable", detail: `GET /models answered ${res.status}` };
      } catch (err) {
        return { status: "unavailable", detail: String((err as Error).message ?? err) };
      }
    },
  };
}
