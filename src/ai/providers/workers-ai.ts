// AI_PROVIDER=workers-ai (production): the env.AI binding for embeddings (bge) and chat (llama), streamed.
import { l2normalize, type AiProvider } from "./types";
import { ProviderError } from "./openai";
import { sseData } from "./sse";

export interface WorkersAiSettings {
  chatModel: string;
  embeddingModel: string;
}

export function workersAiProvider(ai: Ai | undefined, settings: WorkersAiSettings): AiProvider {
  const binding = () => {
    if (!ai) throw new ProviderError("AI_PROVIDER=workers-ai needs the AI binding ([env.production] in wrangler.toml)");
    return ai as unknown as { run(model: string, input: unknown): Promise<unknown> };
  };
  return {
    name: "workers-ai",
    embeddingModel: settings.embeddingModel,
    chatModel: settings.chatModel,
    async embed(texts) {
      if (!texts.length) return [];
      const out = (await binding().run(settings.embeddingModel, { text: texts })) as { data?: number[][] };
      if (!out.data || out.data.length !== texts.length) throw new ProviderError("Workers AI returned no embeddings");
      return out.data.map((v) => l2normalize(Float32Array.from(v)));
    },
    async *generate(prompt) {
      const stream = (await binding().run(settings.chatModel, { messages: prompt.messages, stream: true })) as ReadableStream<Uint8Array>;
      for await (const data of sseData(stream)) {
        if (data === "[DONE]") return;
        try {
          const piece = (JSON.parse(data) as { response?: string }).response;
          if (piece) yield piece;
        } catch {
          /* keep-alive or partial line */
        }
      }
    },
    async health() {
      return ai ? { status: "available" } : { status: "unavailable", detail: "no AI binding in this environment" };
    },
  };
}
