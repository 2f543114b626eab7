// When a conversation goes to a human: an explicit request, a phrase asking for one, or an AI answer
// whose confidence is below the creator's threshold (creator settings, off unless set).
import { eq } from "drizzle-orm";
import { tenant } from "../db/client";
import { creators } from "../db/schema";
import type { Env } from "../env";

// "talk to a human", "speak with an agent", "can I chat with a real person", "human please", ...
const PHRASES = [
  /\b(talk|speak|chat|connect me)\s+(to|with)\s+(a\s+|an\s+|some\s*one\s*|the\s+)?(real\s+|live\s+)?(human|person|agent|someone|operator|representative|people)\b/i,
  /\b(human|real person|live agent|human agent)\s*(please|pls|now)\b/i,
  /\bi\s+(want|need|would like)\s+(a|an|to talk to a|to speak to a|to speak with a|to talk with a)\s+(real\s+|live\s+)?(human|person|agent)\b/i,
];

export function asksForHuman(text: string): boolean {
  return PHRASES.some((re) => re.test(text));
}

/** The creator setting `handover_confidence_threshold` (0..1). 0 = off: without agents a handover helps nobody. */
export async function confidenceThreshold(env: Env, creatorId: string): Promise<number> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select({ settings: creators.settings }).from(creators).where(eq(creators.id, t.creatorId)).get();
  const value = row?.settings?.handover_confidence_threshold;
  return typeof value === "number" && value > 0 && value <= 1 ? value : 0;
}

const THRESHOLD_TTL_MS = 30_000;

/** The threshold as a conversation object reads it after each answer: from D1 at most every 30 s. */
export class ThresholdCache {
  private cached: { value: number; at: number } | null = null;

  async get(env: Env, creatorId: string): Promise<number> {
    if (this.cached && Date.now() - this.cached.at < THRESHOLD_TTL_MS) return this.cached.value;
    const value = await confidenceThreshold(env, creatorId);
    this.cached = { value, at: Date.now() };
    return value;
  }
}
