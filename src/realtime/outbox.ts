// The conversation object's outbox to D1: coalesced flushes, one at a time, retried with backoff on a
// DO alarm until D1 takes them, plus a safety alarm that finishes the job after an eviction.
import { config } from "../config";
import type { Env } from "../env";
import { log } from "../lib/logging";
import type { ConversationState, MessageLog } from "./log";
import { ENGAGED_USER_MESSAGES, type MirrorHints } from "./mirror-sql";
import type { Presence } from "./sockets";

/** Safety net: if the object is evicted before a flush lands, this alarm finishes the job. */
const SAFETY_ALARM_MS = 10_000;
const BATCH = 100;

export interface OutboxHost {
  env: Env;
  storage: DurableObjectStorage;
  log: MessageLog;
  state(): ConversationState | null;
  presence(): Presence;
  /** D1 no longer has the conversation (GDPR erasure). */
  forget(): Promise<void>;
}

export class Outbox {
  private flushing: Promise<void> | null = null;
  private again = false;
  private failures = 0;
  private alarmKnown = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** What D1 last got from this instance: unchanged presence isn't rewritten with every message. */
  private mirroredPresence: Presence | null = null;
  /** The day whose active-user sketch a flush of this instance raised for the end user (memory: a new instance raises it again, harmlessly). */
  private activeDay: string | null = null;
  /**
   * User messages this instance's flushes put in D1 (memory: a new instance counts from 0, so it
   * undercounts, which only means sending statements that change nothing).
   */
  private userMessagesMirrored = 0;
  /** D1's bookmark after this instance's last mirror write (D1 Sessions): a read constrained by it sees every write flushed so far. */
  bookmark: string | null = null;

  constructor(private readonly host: OutboxHost) {}

  /**
   * Messages reach the mirror a moment later, so a busy conversation sends one D1 batch for many
   * messages (acks never wait for it). State changes (handover, agents, presence) are urgent: the
   * agents' queue and the connections list read them from D1.
   */
  schedule(urgent = false): void {
    void this.ensureAlarm();
    if (urgent) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, config(this.host.env).realtime.outboxDelayMs);
  }

  /** The object's alarm fired (retry or safety net). */
  async onAlarm(): Promise<void> {
    this.alarmKnown = false;
    await this.flush();
  }

  /** One flush at a time; writes that land meanwhile are picked up by another round. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.again = false;
          await this.flushOnce();
        } while (this.again);
        this.failures = 0;
      } catch (err) {
        this.failures++;
        log("warn", "outbox flush failed, will retry", { conversation_id: this.host.state()?.conversationId, attempts: this.failures, error: String(err) });
        await this.retryLater();
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const { log: messageLog } = this.host;
    const state = this.host.state();
    if (!state) return;
    const rows = messageLog.unmirrored(BATCH);
    const stateChanged = messageLog.stateDirty();
    if (rows.length === 0 && !stateChanged) {
      await this.applyRevisions();
      return this.enqueueSends();
    }
    const version = messageLog.stateVersion;
    const presence = this.host.presence();
    const changed = presence.userSockets !== this.mirroredPresence?.userSockets || presence.agentSockets !== this.mirroredPresence?.agentSockets;
    const { env } = this.host;
    const writer = env.MIRROR_WRITER.get(env.MIRROR_WRITER.idFromName(state.creatorId));
    // What D1 has already (the state an earlier flush wrote, messages, today's active user): the
    // statements that could change nothing are left out of the batch.
    const hints: MirrorHints = {
      stateChanged,
      mirroredBefore: messageLog.mirroredSeq > 0,
      activeDay: state.endUserId ? this.activeDay : null,
      engaged: this.userMessagesMirrored >= ENGAGED_USER_MESSAGES,
    };
    const lastFromUser = rows.findLast((m) => m.sender === "user");
    const result = await writer.mirror({ ...state }, rows, changed ? presence : null, hints);
    if ("error" in result) throw new Error(result.error);
    const { outcome } = result;
    if (outcome === "gone") return this.host.forget();
    if (result.bookmark) this.bookmark = result.bookmark;
    this.mirroredPresence = presence;
    if (lastFromUser && state.endUserId) this.activeDay = lastFromUser.createdAt.slice(0, 10);
    if (rows.length) messageLog.markMirrored(rows.at(-1)!.seq);
    this.userMessagesMirrored += rows.filter((m) => m.sender === "user").length;
    if (state.clearContext && version === messageLog.stateVersion) {
      state.clearContext = false;
      messageLog.saveState(state, false);
    }
    messageLog.clearStateDirty(version);
    await this.applyRevisions();
    await this.enqueueSends();
    if (rows.length === BATCH || messageLog.stateDirty()) this.again = true;
  }

  /**
   * Channel sends (Telegram, WhatsApp) of messages D1 now has: the job reads the message from D1, so
   * it is enqueued only after the mirror. A failed enqueue fails the flush, which retries it; the
   * send job is idempotent on the message's delivery_status, so a rare double enqueue sends once.
   */
  private async enqueueSends(): Promise<void> {
    const state = this.host.state();
    const due = this.host.log.dueSends();
    if (!state || due.length === 0) return;
    await this.host.env.JOBS.sendBatch(due.map((d) => ({ body: { type: "channel.send" as const, creatorId: state.creatorId, messageId: d.messageId } })));
    this.host.log.sendsEnqueued(due.at(-1)!.seq);
  }

  /**
   * Messages changed after D1 got them (a voice note's transcript becomes its text): written once D1
   * has the message, retried with the flush until they land. Rare, so straight to D1, not batched.
   */
  private async applyRevisions(): Promise<void> {
    const state = this.host.state();
    const due = this.host.log.dueRevisions();
    if (!state || due.length === 0) return;
    const { DB } = this.host.env;
    await DB.batch(
      due.map((r) =>
        DB.prepare("UPDATE messages SET text = ?1, metadata = json_patch(coalesce(metadata, '{}'), ?2) WHERE conversation_id = ?3 AND creator_id = ?4 AND seq = ?5").bind(
          r.text,
          r.patch,
          state.conversationId,
          state.creatorId,
          r.seq,
        ),
      ),
    );
    this.host.log.revisionsMirrored(due);
  }

  private async retryLater(): Promise<void> {
    const base = config(this.host.env).realtime.outboxRetrySeconds;
    const delay = Math.min(300, base * 2 ** Math.min(10, this.failures - 1));
    await this.host.storage.setAlarm(Date.now() + delay * 1000);
    this.alarmKnown = true;
  }

  private async ensureAlarm(): Promise<void> {
    if (this.alarmKnown) return;
    this.alarmKnown = true;
    if ((await this.host.storage.getAlarm()) === null) await this.host.storage.setAlarm(Date.now() + SAFETY_ALARM_MS);
  }
}
