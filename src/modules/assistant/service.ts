// The assistant persona: name, tone, language, the creator's instructions, fallback, handover
// threshold and greeting. Stored in the creator's settings: `fallback_message` and
// `handover_confidence_threshold` are the very keys the answer pipeline and the handover already read
// (one copy), the rest under `assistant_*` keys.
import { eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { creators } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { notFound } from "../../lib/errors";
import { resolveModel } from "../../ai/providers/chat";
import { TONES, type Persona, type UpdatePersonaInput } from "./schemas";

export const DEFAULT_ASSISTANT_NAME = "Assistant";

const KEYS = {
  name: "assistant_name",
  tone: "assistant_tone",
  language: "assistant_language",
  instructions: "assistant_instructions",
  fallback_message: "fallback_message",
  handover_threshold: "handover_confidence_threshold",
  greeting: "assistant_greeting",
  chat_model: "assistant_chat_model",
} as const satisfies Record<keyof Persona, string>;

const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : null);

export function personaFromSettings(settings: Record<string, unknown> | null | undefined): Persona {
  const s = settings ?? {};
  const tone = s[KEYS.tone];
  const threshold = Number(s[KEYS.handover_threshold]);
  return {
    name: str(s[KEYS.name]) ?? DEFAULT_ASSISTANT_NAME,
    tone: (TONES as readonly string[]).includes(tone as string) ? (tone as Persona["tone"]) : "friendly",
    language: str(s[KEYS.language]),
    instructions: typeof s[KEYS.instructions] === "string" ? (s[KEYS.instructions] as string) : "",
    fallback_message: str(s[KEYS.fallback_message]),
    handover_threshold: Number.isFinite(threshold) && threshold >= 0 && threshold <= 1 ? threshold : 0,
    greeting: str(s[KEYS.greeting]),
    chat_model: str(s[KEYS.chat_model]),
  };
}

export async function getPersona(env: Env, creatorId: string): Promise<Persona> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select({ settings: creators.settings }).from(creators).where(eq(creators.id, t.creatorId)).get();
  if (!row) throw notFound("Creator");
  return personaFromSettings(row.settings);
}

export async function updatePersona(env: Env, creatorId: string, input: UpdatePersonaInput): Promise<Persona> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select({ settings: creators.settings }).from(creators).where(eq(creators.id, t.creatorId)).get();
  if (!row) throw notFound("Creator");
  // A chat model must be one the configured providers serve (422 naming GET /api/v1/model otherwise);
  // stored as provider:id so a same-named model of another provider can't take its place.
  if (input.chat_model) {
    const model = await resolveModel(env, input.chat_model, "chat", "chat_model");
    input = { ...input, chat_model: `${model.provider}:${model.id}` };
  }
  const settings = { ...row.settings };
  for (const [field, value] of Object.entries(input) as [keyof Persona, unknown][]) {
    if (value === undefined) continue;
    if (value === null) delete settings[KEYS[field]];
    else settings[KEYS[field]] = value;
  }
  await t.db.update(creators).set({ settings, updatedAt: nowIso() }).where(eq(creators.id, t.creatorId)).run();
  return personaFromSettings(settings);
}
