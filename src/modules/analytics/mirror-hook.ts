// The seam between the MirrorWriter and this module: what joins a conversation's flush batch
// (rollups and activity events, placed before the mirror's statements so they read D1's state before
// the flush), and what runs once the batch is committed (handing the events on).
import type { Env } from "../../env";
import { log } from "../../lib/logging";
import { NO_HINTS, type ConversationState, type MirrorHints, type StoredMessage } from "../../realtime";
import { activityStatements } from "./activity";
import { dispatchActivity } from "./dispatch";
import { gapStatements } from "./gaps";
import { rollupStatements } from "./rollups";

export function withAnalytics(
  env: Env,
  state: ConversationState,
  rows: StoredMessage[],
  mirror: D1PreparedStatement[],
  /** The conversation object's knowledge of D1's copy: statements that can't change anything are left out. */
  hints: MirrorHints = NO_HINTS,
): { statements: D1PreparedStatement[]; mirrorAt: number } {
  const before = [...rollupStatements(env, state, rows, hints), ...activityStatements(env, state, rows, hints), ...gapStatements(env, state, rows, hints)];
  return { statements: [...before, ...mirror], mirrorAt: before.length };
}

/** After a committed batch: dispatch each creator's new events (a failure is retried by the cron sweep). */
export async function afterMirror(env: Env, states: ConversationState[]): Promise<void> {
  for (const creatorId of new Set(states.map((s) => s.creatorId))) {
    await dispatchActivity(env, creatorId).catch((err: unknown) => log("warn", "activity dispatch failed", { creator_id: creatorId, error: String(err) }));
  }
}
