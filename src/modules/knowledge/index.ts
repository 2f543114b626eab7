// The knowledge module: knowledge bases, documents, ingestion and search.
export { knowledgeRouter } from "./routes";
export { legacyKnowledgeRouter } from "./legacy-routes";

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { findDocument, presentDocument, reprocessDocument } from "./documents";
export { embeddingText } from "./ingest";
export { bumpRevision, defaultKnowledgeBase, findKnowledgeBase } from "./knowledge-bases";
export { SearchResultSchema } from "./schemas";
export { searchKnowledge } from "./search-service";
