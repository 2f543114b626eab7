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
 * A conversation's own analytics statements (rollups, creation and transition events, gaps), in two
 * parts that go around the batch's message events (see batchAnalytics). Each reads only its own
 * conversation's D1 state, so the conversations of a batch may follow one another in any order, as
 * long as all of them run before the batch's mirror statements.
 */
export interface OwnAnalytics {
  beforeMessages: D1PreparedStatement[];
  afterMessages: D1PreparedStatement[];
}

export function flushAnalytics(env: Env, { state, rows, hints = NO_HINTS }: AnalyticsFlush): OwnAnalytics {
  const { created, transitions } = activityStatements(env, state, rows, hints);
  return { beforeMessages: [...rollupStatements(env, state, rows, hints), ...created], afterMessages: [...transitions, ...gapStatements(env, state, rows, hints)] };
}

/**
 * All the analytics statements of one creator's batch, to run before its mirror statements: each
 * conversation's rollups and creation event, then every message's event in one statement, then each
 * conversation's transitions and gaps — so the activity stream keeps, per conversation, the order
 * created → messages → transitions. `own`: the flushes' flushAnalytics when already built.
 */
export function batchAnalytics(env: Env, creatorId: string, flushes: AnalyticsFlush[], own = flushes.map((f) => flushAnalytics(env, f))): D1PreparedStatement[] {
  return [...own.flatMap((o) => o.beforeMessages), ...messageEventStatements(env, creatorId, flushes), ...own.flatMap((o) => o.afterMessages)];
}

/** After a committed batch: dispatch each creator's new events (a failure is retried by the cron sweep). */
export async function afterMirror(env: Env, states: ConversationState[]): Promise<void> {
  for (const creatorId of new Set(states.map((s) => s.creatorId))) {
    await dispatchActivity(env, creatorId).catch((err: unknown) => log("warn", "activity dispatch failed", { creator_id: creatorId, error: String(err) }));
  }
}
