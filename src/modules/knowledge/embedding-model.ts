// A knowledge base's embedding_model (issue 14): honoured when it is the model the deployment's vectors
// are made with, refused with a clear 422 otherwise — never stored and ignored.
import { aiProvider } from "../../ai/providers";
import { listModels } from "../../ai/providers/chat";
import type { Env } from "../../env";
import { AppError } from "../../lib/errors";

/** The canonical stored name (the bare id) or a 422 on settings.embedding_model. */
export async function checkEmbeddingModel(env: Env, asked: string): Promise<string> {
  const provider = aiProvider(env);
  const inUse = provider.embeddingModel;
  const bare = asked.includes(":") && asked.startsWith(`${provider.name}:`) ? asked.slice(provider.name.length + 1) : asked;
  if (bare === inUse) return inUse;
  const { models } = await listModels(env);
  const served = models.find((m) => m.capabilities.includes("embeddings") && (m.id === asked || `${m.provider}:${m.id}` === asked));
  const field = "settings.embedding_model";
  if (served) {
    throw new AppError("VALIDATION_ERROR", `"${asked}" is served by ${served.provider}, but every knowledge base of this deployment is embedded with "${inUse}" (one vector index); use "${inUse}" or leave embedding_model out`, [
      { field, message: `must be ${inUse}` },
    ]);
  }
  throw new AppError("VALIDATION_ERROR", `Unknown embedding model "${asked}": the configured providers embed with "${inUse}" (GET /api/v1/model?capability=embeddings)`, [{ field, message: `must be ${inUse}` }]);
}
