// Which creator requests spend which plan limits. Every authenticated /api/ request is an API call;
// these add their own limit (AI answers, AI calls, uploads) or check a gauge before a create.
import type { CountedLimit, GaugeLimit } from "../../config";

export interface MeteredRoute {
  match: (method: string, path: string) => boolean;
  counts?: CountedLimit[];
  gauge?: GaugeLimit;
}

const UPLOAD = /^\/api\/v1\/(knowledge-bases\/[^/]+\/documents(\/batch)?|creators\/knowledge\/upload|conversations\/[^/]+\/files|chat\/[^/]+\/upload)$/;
/** The creator's own AI API: search, embeddings, answers (the audience's answers count in the conversation object). */
const AI_API = /^\/api\/(v1\/ai|memory)\//;
const AI_ANSWER = /^\/api\/(v1\/aisuite\/chat|v1\/run\/?|v1\/run\/audio|core\/messages\/audio)$/;

export const METERED_ROUTES: MeteredRoute[] = [
  { match: (m, p) => m === "POST" && p === "/api/v1/ai/conversations", counts: ["ai_messages", "ai_calls"] },
  // Issue 14: a plain chat and the REST audio/multimodal runs are answers like any other.
  { match: (m, p) => m === "POST" && AI_ANSWER.test(p), counts: ["ai_messages", "ai_calls"] },
  { match: (m, p) => m === "POST" && p.startsWith("/api/v1/prompt_compiler/"), counts: ["ai_calls"] },
  { match: (m, p) => m === "POST" && UPLOAD.test(p), counts: ["uploads"], gauge: "storage_bytes" },
  { match: (_m, p) => AI_API.test(p), counts: ["ai_calls"] },
  { match: (m, p) => m === "POST" && p === "/api/v1/knowledge-bases", gauge: "knowledge_bases" },
  { match: (m, p) => m === "POST" && p === "/api/v1/team/members", gauge: "team_members" },
];

/** Operator and monitoring routes are the platform's, not the creator's. */
export const isCreatorApiPath = (path: string) => path.startsWith("/api/") && !path.startsWith("/api/v1/operator/");
