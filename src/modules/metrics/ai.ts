// Counts and times the AI provider's calls (embed, generate) by provider, for /metrics.
import type { AiProvider } from "../../ai/providers/types";
import { recordAiCall } from "./record";

export function meteredProvider(provider: AiProvider): AiProvider {
  const metered: AiProvider = Object.create(provider);
  metered.embed = async (texts) => {
    const started = performance.now();
    let ok = false;
    try {
      const out = await provider.embed(texts);
      ok = true;
      return out;
    } finally {
      recordAiCall(provider.name, "embed", ok, (performance.now() - started) / 1000);
    }
  };
  metered.generate = async function* (prompt) {
    const started = performance.now();
    let ok = false;
    try {
      yield* provider.generate(prompt);
      ok = true;
    } finally {
      recordAiCall(provider.name, "generate", ok, (performance.now() - started) / 1000);
    }
  };
  return metered;
}
