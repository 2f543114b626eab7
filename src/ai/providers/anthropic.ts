// Anthropic's Messages API natively: POST /v1/messages with x-api-key and anthropic-version, streamed as
// SSE events (message_start, content_block_delta {text_delta}, message_stop, error); GET /v1/models lists.
import { ProviderError } from "./openai";
import { sseData } from "./sse";
import type { ChatTurn, ChatOptions } from "./chat";

export interface AnthropicSettings {
  baseUrl: string;
  apiKey?: string;
  chatModel: string;
  version: string;
  models: string[];
}

/** Claude needs max_tokens on every request; this is the default when the caller names none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

function headers(s: AnthropicSettings): Record<string, string> {
  if (!s.apiKey) throw new ProviderError("anthropic needs the ANTHROPIC_API_KEY secret");
  return { "content-type": "application/json", "x-api-key": s.apiKey, "anthropic-version": s.version };
}

/** Messages API shape: the system prompt apart, user/assistant alternating (same-role turns merged), images as base64 blocks. */
export function anthropicBody(turns: ChatTurn[], model: string, opts: ChatOptions) {
  const system = turns.filter((t) => t.role === "system").map((t) => t.text).join("\n\n");
  const messages: { role: "user" | "assistant"; content: unknown[] }[] = [];
  for (const t of turns) {
    if (t.role === "system") continue;
    const blocks: unknown[] = [
      ...(t.images ?? []).map((img) => ({ type: "image", source: { type: "base64", media_type: img.mediaType, data: img.base64 } })),
      ...(t.text ? [{ type: "text", text: t.text }] : []),
    ];
    const last = messages.at(-1);
    if (last && last.role === t.role) last.content.push(...blocks);
    else messages.push({ role: t.role, content: blocks });
  }
  if (messages[0]?.role !== "user") messages.unshift({ role: "user", content: [{ type: "text", text: "(conversation start)" }] });
  return {
    model,
    max_tokens: opts.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    ...(system ? { system } : {}),
    messages,
    ...(opts.temperature !== undefined ? { temperature: Math.min(1, opts.temperature) } : {}),
    stream: true,
  };
}

export async function* anthropicChat(s: AnthropicSettings, turns: ChatTurn[], model: string, opts: ChatOptions, fetcher: typeof fetch = fetch): AsyncGenerator<string> {
  const res = await fetcher(`${s.baseUrl}/v1/messages`, { method: "POST", headers: headers(s), body: JSON.stringify(anthropicBody(turns, model, opts)) });
  if (!res.ok) throw new ProviderError(`/v1/messages answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  if (!res.body) throw new ProviderError("/v1/messages answered without a body");
  for await (const data of sseData(res.body)) {
    let event: { type?: string; delta?: { type?: string; text?: string }; error?: { message?: string } };
    try {
      event = JSON.parse(data);
    } catch {
      continue;
    }
    if (event.type === "content_block_delta" && event.delta?.type === "text_delta" && event.delta.text) yield event.delta.text;
    else if (event.type === "error") throw new ProviderError(`anthropic stream error: ${event.error?.message ?? "unknown"}`);
    else if (event.type === "message_stop") return;
  }
}

export async function anthropicModels(s: AnthropicSettings, fetcher: typeof fetch = fetch): Promise<string[]> {
  const res = await fetcher(`${s.baseUrl}/v1/models?limit=1000`, { headers: headers(s) });
  if (!res.ok) throw new ProviderError(`GET /v1/models answered ${res.status}`);
  const body = (await res.json()) as { data?: { id: string }[] };
  return (body.data ?? []).map((m) => m.id);
}
