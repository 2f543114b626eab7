// Picks the vector store named by VECTOR_STORE (d1 by default: embedded, offline).
import { config } from "../../config";
import type { Env } from "../../env";
import { d1VectorStore } from "./d1";
import type { VectorStore } from "./types";
import { vectorizeStore } from "./vectorize";

export type { VectorStore } from "./types";

export function vectorStore(env: Env): VectorStore {
  const cfg = config(env);
  return cfg.vectorStore === "vectorize" ? vectorizeStore(env.VECTORIZE) : d1VectorStore(env.DB, cfg.knowledge.vectorScanPageSize);
}
