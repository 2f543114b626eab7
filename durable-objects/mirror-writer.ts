// One object per creator that batches the D1 mirror writes of all that creator's conversations:
// conversation objects hand it their outbox rows, and every ~20 ms it writes them in one D1 batch
// (one transaction) instead of one per conversation flush. Memory only: a conversation's outbox
// advances its watermark only after this object answers, so a lost batch is simply retried there.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import { log } from "../src/lib/logging";
import type { ConversationState, StoredMessage } from "../src/realtime/log";
import { mirrorBatch, NO_HINTS, type MirrorFlush, type MirrorHints, type MirrorOutcome } from "../src/realtime/mirror-sql";
import type { Presence } from "../src/realtime/sockets";
// Analytics seam: rollups and activity events ride in the same D1 batch as the mirror.
import { afterMirror, batchAnalytics, flushAnalytics, type OwnAnalytics } from "../src/modules/analytics";
// Programs seam: an end user's reply marks their proactive messages a success in the same batch.
import { respondedStatements } from "../src/modules/programs/inbound";

/** How long a batch waits for more conversations; short against the outbox's own delay. */
const WINDOW_MS = 20;
/**
 * D1 batches are one transaction: keep them bounded. Counted in the conversations' own (analytics)
 * statements: the mirror's are a few for the whole batch (one a kind, more only for large JSON).
 */
const MAX_STATEMENTS = 400;

/** A failure travels back as a value: the conversation's outbox turns it into a retry. */
export type MirrorResult = { outcome: MirrorOutcome; bookmark?: string } | { error: string };

export interface BatchFlush extends MirrorFlush {
  hints?: MirrorHints;
}

interface Entry extends BatchFlush {
  done: (result: MirrorResult) => void;
  /** Its own analytics statements, built once (when it is first considered for a batch). */
  own?: OwnAnalytics;
}

/**
 * The D1 statements of a batch of one creator's flushes (one per conversation), in the order their
 * meaning needs: the analytics first (batchAnalytics: they read D1's state before the flush:
 * watermark, status, earlier messages), then the mirror (conversations
 * UPDATE … RETURNING, then messages, presence, end users), then the proactive success marks for the
 * end users' first and last message of each flush (every reply in between lies inside their window).
 */
export function batchStatements(env: Env, flushes: BatchFlush[], own = flushes.map((f) => flushAnalytics(env, f))): { statements: D1PreparedStatement[]; outcomes: (results: D1Result[]) => MirrorOutcome[] } {
  const creatorId = flushes[0]?.state.creatorId ?? "";
  const before = batchAnalytics(env, creatorId, flushes, own);
  const mirror = mirrorBatch(env, flushes);
  const replies = flushes.flatMap(({ state, rows }) => {
    const endUserId = state.endUserId;
    if (!endUserId) return [];
    const fromUser = rows.filter((m) => m.sender === "user");
    return [...new Set([fromUser[0]?.createdAt, fromUser.at(-1)?.createdAt].filter((t): t is string => !!t))].map((at) => ({ endUserId, at }));
  });
  return {
    statements: [...before, ...mirror.statements, ...respondedStatements(env, creatorId, replies)],
    outcomes: (results) => mirror.outcomes(results.slice(before.length)),
  };
}

export class MirrorWriter extends DurableObject<Env> {
  private queue: Entry[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The creator's activity dispatch running now; batches committed meanwhile ask for one more round. */
  private dispatching: Promise<void> | null = null;
  private dispatchAgain = false;

  async mirror(state: ConversationState, rows: StoredMessage[], presence: Presence | null, hints: MirrorHints = NO_HINTS): Promise<MirrorResult> {
    return new Promise<MirrorResult>((done) => {
      this.queue.push({ state, rows, presence, hints, done });
      this.timer ??= setTimeout(() => void this.drain(), WINDOW_MS);
    });
  }

  private async drain(): Promise<void> {
    this.timer = undefined;
    while (this.queue.length) {
      const batch: Entry[] = [];
      const conversations = new Set<string>();
      let count = 0;
      while (this.queue.length) {
        const head = this.queue[0]!;
        // One flush per conversation: a second one's analytics must read what the first one's mirror wrote.
        if (conversations.has(head.state.conversationId)) break;
        head.own ??= flushAnalytics(this.env, head);
        const size = head.own.beforeMessages.length + head.own.afterMessages.length;
        if (batch.length && count + size > MAX_STATEMENTS) break;
        count += size;
        conversations.add(head.state.conversationId);
        batch.push(this.queue.shift()!);
      }
      try {
        const built = batchStatements(this.env, batch, batch.map((e) => e.own!));
        // Through a D1 session on the primary: its bookmark says "at least this write", and travels
        // back to the REST caller whose change went through the conversation object (X-D1-Bookmark).
        const session = this.env.DB.withSession("first-primary");
        const results = await session.batch(built.statements);
        const bookmark = session.getBookmark() ?? undefined;
        const outcomes = built.outcomes(results);
        batch.forEach((e, i) => e.done({ outcome: outcomes[i]!, ...(bookmark && { bookmark }) }));
        this.dispatch(batch.map((e) => e.state));
      } catch (err) {
        // One bad conversation must not hold the others back: retry each on its own.
        log("warn", "mirror batch failed, writing conversations one by one", { conversations: batch.length, error: String(err) });
        await Promise.all(
          batch.map((e) =>
            this.writeOne(e).then(
              (done) => e.done(done),
              (error: unknown) => e.done({ error: String(error) }),
            ),
          ),
        );
      }
    }
  }

  /**
   * Hands the committed events on (analytics' afterMirror). One dispatch at a time: it claims every
   * undispatched event of the creator, so batches that commit while it runs need one more round, not
   * one each (a busy creator's events cost a claim per round instead of a claim per 20 ms batch).
   */
  private dispatch(states: ConversationState[]): void {
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = (async () => {
      try {
        do {
          this.dispatchAgain = false;
          await afterMirror(this.env, states);
        } while (this.dispatchAgain);
      } finally {
        this.dispatching = null;
      }
    })();
    this.ctx.waitUntil(this.dispatching);
  }

  /** One conversation's flush on its own (the fallback), rollups and events included. */
  private async writeOne(e: Entry): Promise<{ outcome: MirrorOutcome; bookmark?: string }> {
    const built = batchStatements(this.env, [e], [e.own ?? flushAnalytics(this.env, e)]);
    const session = this.env.DB.withSession("first-primary");
    const results = await session.batch(built.statements);
    const bookmark = session.getBookmark() ?? undefined;
    const [outcome] = built.outcomes(results) as [MirrorOutcome];
    if (outcome === "ok") this.dispatch([e.state]);
    return { outcome, ...(bookmark && { bookmark }) };
  }
}
