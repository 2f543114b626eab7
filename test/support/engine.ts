// Test drivers for the time-driven modules: end users made directly in D1 (widget sessions and
// channel contacts create them in production), and cron ticks whose queue jobs are fed to the
// real consumer with createMessageBatch, so a test controls time, retries and overlaps.
import { createExecutionContext, createMessageBatch, createScheduledController, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import entry from "../../workers/api";
import type { JobMessage } from "../../src/jobs/types";
import { setClock } from "../../src/lib/clock";

const worker = entry as unknown as Required<Pick<ExportedHandler<Cloudflare.Env, JobMessage>, "scheduled" | "queue">>;

export interface EndUserInput {
  creatorId: string;
  channel?: "widget" | "telegram" | "whatsapp" | "api";
  name?: string | null;
  timezone?: string | null;
  language?: string | null;
  profile?: Record<string, unknown>;
  tags?: string[];
  status?: "active" | "unreachable" | "blocked";
  createdAt?: string;
  lastActiveAt?: string | null;
}

export async function createEndUser(input: EndUserInput): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO end_users (id, creator_id, channel, external_id, display_name, language, timezone, profile, tags, status, created_at, last_active_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      input.creatorId,
      input.channel ?? "widget",
      `ext-${id.slice(0, 8)}`,
      input.name === undefined ? "Sam" : input.name,
      input.language ?? null,
      input.timezone ?? null,
      JSON.stringify(input.profile ?? {}),
      JSON.stringify(input.tags ?? []),
      input.status ?? "active",
      input.createdAt ?? "2026-01-01T00:00:00.000Z",
      input.lastActiveAt ?? null,
    )
    .run();
  return id;
}

/** A user message in the user's conversation (what the widget/channels write), for engagement counts. */
export async function userSays(creatorId: string, endUserId: string, text: string, at: string): Promise<string> {
  let conv = await env.DB.prepare("SELECT id FROM conversations WHERE end_user_id = ? ORDER BY created_at DESC LIMIT 1").bind(endUserId).first<{ id: string }>();
  if (!conv) {
    conv = { id: crypto.randomUUID() };
    await env.DB.prepare("INSERT INTO conversations (id, creator_id, end_user_id, channel, created_at, updated_at) VALUES (?, ?, ?, 'widget', ?, ?)").bind(conv.id, creatorId, endUserId, at, at).run();
  }
  await env.DB.batch([
    env.DB.prepare("UPDATE conversations SET last_seq = last_seq + 1, last_message_at = ? WHERE id = ?").bind(at, conv.id),
    env.DB.prepare(
      "INSERT INTO messages (id, creator_id, conversation_id, seq, sender, text, created_at) SELECT ?, ?, id, last_seq, 'user', ?, ? FROM conversations WHERE id = ?",
    ).bind(crypto.randomUUID(), creatorId, text, at, conv.id),
    env.DB.prepare("UPDATE end_users SET last_active_at = ? WHERE id = ?").bind(at, endUserId),
  ]);
  return conv.id;
}

export async function messagesOf(endUserId: string) {
  const r = await env.DB.prepare(
    `SELECT m.sender, m.text, m.seq, m.client_message_id, m.metadata, m.created_at, m.conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE c.end_user_id = ? ORDER BY m.created_at, m.seq`,
  )
    .bind(endUserId)
    .all<{ sender: string; text: string; seq: number; client_message_id: string | null; metadata: string | null; created_at: string; conversation_id: string }>();
  return r.results;
}

/** The JOBS queue as the engine sees it in tests: jobs wait here until `drain` feeds them to the consumer. */
export class Engine {
  readonly pending: JobMessage[] = [];
  readonly env: Cloudflare.Env;
  /** vars: settings for this engine only, e.g. { PROACTIVE_DISPATCH_CHUNK: "2" }. */
  constructor(vars: Record<string, string> = {}) {
    const pending = this.pending;
    const jobs = {
      send: async (body: JobMessage) => void pending.push(body),
      sendBatch: async (messages: Iterable<{ body: JobMessage }>) => {
        for (const m of messages) pending.push(m.body);
      },
    } as unknown as Queue<JobMessage>;
    this.env = { ...env, ...vars, JOBS: jobs };
  }

  /** One cron tick at `at` (the clock moves there first); its jobs stay queued. */
  async tickOnly(at: string | number): Promise<void> {
    setClock(at);
    const ms = new Date(at).getTime();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: ms, cron: "* * * * *" }), this.env, ctx);
    await waitOnExecutionContext(ctx);
  }

  /** Feeds every queued job to the real consumer until none is left; returns the jobs it ran. */
  async drain(opts: { maxRounds?: number } = {}): Promise<{ jobs: JobMessage[]; retried: number }> {
    const ran: JobMessage[] = [];
    let retried = 0;
    for (let round = 0; this.pending.length && round < (opts.maxRounds ?? 20); round++) {
      const bodies = this.pending.splice(0);
      ran.push(...bodies);
      const ids = bodies.map((_, i) => `m${round}-${i}`);
      const batch = createMessageBatch<JobMessage>("edgecoach-jobs", bodies.map((body, i) => ({ id: ids[i]!, timestamp: new Date(), attempts: 1, body })));
      const ctx = createExecutionContext();
      await worker.queue(batch, this.env, ctx);
      const result = await getQueueResult(batch, ctx);
      // The real queue redelivers retried messages: so do we.
      for (const r of result.retryMessages) this.pending.push(bodies[ids.indexOf(r.msgId)]!);
      retried += result.retryMessages.length;
    }
    return { jobs: ran, retried };
  }

  /** A tick followed by draining its jobs. */
  async tick(at: string | number) {
    await this.tickOnly(at);
    return this.drain();
  }
}

export { setClock };
