// One object per creator that batches the D1 mirror writes of all that creator's conversations:
// conversation objects hand it their outbox rows, and every ~20 ms it writes them in one D1 batch
// (one transaction) instead of one per conversation flush. Memory only: a conversation's outbox
// advances its watermark only after this object answers, so a lost batch is simply retried there.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import { log } from "../src/lib/logging";
import type { ConversationState, StoredMessage } from "../src/realtime/log";
import { mirrorStatements, NO_HINTS, type MirrorHints, type MirrorOutcome } from "../src/realtime/mirror-sql";
import type { Presence } from "../src/realtime/sockets";
// Analytics seam: rollups and activity events ride in the same D1 batch as the mirror.
import { afterMirror, withAnalytics } from "../src/modules/analytics";
// Programs seam: an end user's reply marks their proactive messages a success in the same batch.
import { respondedStatement } from "../src/modules/programs/inbound";

/** How long a batch waits for more conversations; short against the outbox's own delay. */
const WINDOW_MS = 20;
/** D1 batches are one transaction: keep them bounded. */
const MAX_STATEMENTS = 400;

/** A failure travels back as a value: the conversation's outbox turns it into a retry. */
export type MirrorResult = { outcome: MirrorOutcome; bookmark?: string } | { error: string };

interface Entry {
  state: ConversationState;
  rows: StoredMessage[];
  presence: Presence | null;
  hints: MirrorHints;
  done: (result: MirrorResult) => void;
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
      const statements: D1PreparedStatement[] = [];
      const firsts: number[] = [];
      while (this.queue.length) {
        const head = this.queue[0]!;
        const built = withAnalytics(this.env, head.state, head.rows, this.statements(head), head.hints);
        if (batch.length && statements.length + built.statements.length > MAX_STATEMENTS) break;
        firsts.push(statements.length + built.mirrorAt);
        statements.push(...built.statements);
        batch.push(this.queue.shift()!);
      }
      try {
        // Through a D1 session on the primary: its bookmark says "at least this write", and travels
        // back to the REST caller whose change went through the conversation object (X-D1-Bookmark).
        const session = this.env.DB.withSession("first-primary");
        const results = await session.batch(statements);
        const bookmark = session.getBookmark() ?? undefined;
        batch.forEach((e, i) => e.done({ outcome: (results[firsts[i]!]?.results.length ?? 0) > 0 ? "ok" : "gone", ...(bookmark && { bookmark }) }));
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

  /**
   * The mirror's statements, then the proactive success mark for the end user's first and last
   * message in this flush (one statement when they are one: every reply in between lies inside their window).
   */
  private statements(e: Entry): D1PreparedStatement[] {
    const statements = mirrorStatements(this.env, e.state, e.rows, e.presence);
    const endUserId = e.state.endUserId;
    if (!endUserId) return statements;
    const fromUser = e.rows.filter((m) => m.sender === "user");
    const times = [...new Set([fromUser[0]?.createdAt, fromUser.at(-1)?.createdAt].filter((t): t is string => !!t))];
    for (const at of times) statements.push(respondedStatement(this.env, { creatorId: e.state.creatorId, endUserId, at }));
    return statements;
  }

  /** One conversation's flush on its own (the fallback), rollups and events included. */
  private async writeOne(e: Entry): Promise<{ outcome: MirrorOutcome; bookmark?: string }> {
    const built = withAnalytics(this.env, e.state, e.rows, this.statements(e), e.hints);
    const session = this.env.DB.withSession("first-primary");
    const results = await session.batch(built.statements);
    const bookmark = session.getBookmark() ?? undefined;
    const outcome = (results[built.mirrorAt]?.results.length ?? 0) > 0 ? "ok" : "gone";
    if (outcome === "ok") this.dispatch([e.state]);
    return { outcome, ...(bookmark && { bookmark }) };
  }
}
