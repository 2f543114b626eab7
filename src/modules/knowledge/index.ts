// The knowledge module: knowledge bases, documents, ingestion and search.
export { knowledgeRouter } from "./routes";
export { legacyKnowledgeRouter } from "./legacy-routes";
