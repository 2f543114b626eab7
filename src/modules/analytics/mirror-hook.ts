// The seam between the MirrorWriter and this module: what joins a batch of flushes (rollups and
// activity events, placed before the mirror's statements so they read D1's state before the flush),
// and what runs once the batch is committed (handing the events on).
import type { Env } from "../../env";
import { log } from "../../lib/logging";
import { NO_HINTS, type ConversationState, type MirrorHints, type StoredMessage } from "../../realtime";
import { activityStatements, messageEventStatements } from "./activity";
import { dispatchActivity } from "./dispatch";
import { gapStatements } from "./gaps";
import { rollupStatements } from "./rollups";

export interface AnalyticsFlush {
  state: ConversationState;
  rows: StoredMessage[];
  /** The conversation object's knowledge of D1's copy: statements that can't change anything are left out. */
  hints?: MirrorHints;
}

/**
 * A conversation's own analytics statements (rollups, creation and transition events, gaps). Each
 * reads only its own conversation's D1 state, so the conversations of a batch may follow one another
 * in any order, as long as all of them run before the batch's mirror statements.
 */
export function flushAnalytics(env: Env, { state, rows, hints = NO_HINTS }: AnalyticsFlush): D1PreparedStatement[] {
  return [...rollupStatements(env, state, rows, hints), ...activityStatements(env, state, rows, hints), ...gapStatements(env, state, rows, hints)];
}

/** What all the flushes of one creator's batch share: their messages' events, in one statement (also before the mirror). */
export function batchAnalytics(env: Env, creatorId: string, flushes: AnalyticsFlush[]): D1PreparedStatement[] {
  return messageEventStatements(env, creatorId, flushes);
}

/** After a committed batch: dispatch each creator's new events (a failure is retried by the cron sweep). */
export async function afterMirror(env: Env, states: ConversationState[]): Promise<void> {
  for (const creatorId of new Set(states.map((s) => s.creatorId))) {
    await dispatchActivity(env, creatorId).catch((err: unknown) => log("warn", "activity dispatch failed", { creator_id: creatorId, error: String(err) }));
  }
}
