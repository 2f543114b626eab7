// The assistant's memory of each end user, learnt after every user turn: explicit statements (offline
// rules, src/ai/memory-facts.ts), with an LLM provider an extraction prompt, and the end user's profile
// fields. Stored as long_term memories (metadata.source says where each came from).
import { eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { endUsers } from "../../db/schema";
import type { Env } from "../../env";
import { log } from "../../lib/logging";
import { explicitFacts, extractionMessages, parseExtraction, type Fact } from "../../ai/memory-facts";
import { aiProvider } from "../../ai/providers";
import { recall, remember } from "./service";

export interface UserTurn {
  creatorId: string;
  endUserId: string;
  conversationId: string;
  text: string;
}

type Source = "statement" | "extraction" | "profile";

/** Profile fields worth remembering: strings, numbers and lists of them (timezone and language too). */
function profileFacts(row: { profile: Record<string, unknown>; timezone: string | null; language: string | null }): Fact[] {
  const facts: Fact[] = [];
  for (const [key, value] of Object.entries(row.profile ?? {})) {
    if (!/^[a-z][a-z0-9_]{0,39}$/i.test(key)) continue;
    if (typeof value === "string" || typeof value === "number") facts.push({ key: key.toLowerCase(), value: String(value).slice(0, 200) });
    else if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number")) facts.push({ key: key.toLowerCase(), value: value.join(", ").slice(0, 200) });
  }
  if (row.timezone) facts.push({ key: "timezone", value: row.timezone });
  if (row.language) facts.push({ key: "language", value: row.language });
  return facts;
}

async function llmFacts(env: Env, text: string): Promise<Fact[]> {
  const provider = aiProvider(env);
  if (provider.name === "local") return [];
  let reply = "";
  for await (const delta of provider.generate({ messages: extractionMessages(text), question: text, sources: [] })) {
    reply += delta;
    if (reply.length > 4000) break;
  }
  return parseExtraction(reply);
}

/**
 * Learns from one user turn; returns what it stored. What the user says wins over the profile: a
 * profile field never replaces a memory that came from the conversation. Never throws (a failing
 * model must not silence the chat).
 */
export async function learnFromTurn(env: Env, turn: UserTurn): Promise<Fact[]> {
  try {
    const t = tenant(env.DB, turn.creatorId);
    const [user, existing, extracted] = await Promise.all([
      t.db.select({ profile: endUsers.profile, timezone: endUsers.timezone, language: endUsers.language }).from(endUsers).where(t.where(endUsers, eq(endUsers.id, turn.endUserId))).get(),
      recall(env, turn.creatorId, turn.endUserId, { type: "long_term" }),
      llmFacts(env, turn.text).catch((err) => {
        log("warn", "memory extraction failed", { conversation_id: turn.conversationId, error: String(err) });
        return [] as Fact[];
      }),
    ]);
    if (!user) return [];
    const current = new Map(existing.map((m) => [m.key, m]));
    const wanted = new Map<string, { value: string; source: Source }>();
    for (const f of profileFacts(user)) {
      const had = current.get(f.key);
      if (!had || (had.metadata as { source?: string })?.source === "profile") wanted.set(f.key, { value: f.value, source: "profile" });
    }
    for (const f of extracted) wanted.set(f.key, { value: f.value, source: "extraction" });
    for (const f of explicitFacts(turn.text)) wanted.set(f.key, { value: f.value, source: "statement" });
    const stored: Fact[] = [];
    for (const [key, { value, source }] of wanted) {
      const had = current.get(key);
      if (had && had.value === value) continue;
      await remember(env, turn.creatorId, turn.endUserId, "long_term", key, value, { source, conversation_id: turn.conversationId });
      stored.push({ key, value });
    }
    return stored;
  } catch (err) {
    log("error", "memory could not learn from a turn", { conversation_id: turn.conversationId, error: String(err) });
    return [];
  }
}

/** The long-term memories handed to an answer and to program templates, as key → value. */
export async function memoryValues(env: Env, creatorId: string, endUserId: string): Promise<Record<string, unknown>> {
  const rows = await recall(env, creatorId, endUserId, { type: "long_term" });
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
