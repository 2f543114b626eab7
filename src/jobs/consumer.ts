// The JOBS queue consumer: one handler per message type; a failure retries that message alone.
import type { Env } from "../env";
import { log } from "../lib/logging";
import { processInbound } from "../modules/channels/inbound-jobs";
import { processSend } from "../modules/channels/outbound";
import { sendRatingPrompt } from "../modules/channels/rating-prompt";
import { eraseCreator } from "../modules/gdpr/service";
import { runEnrollment } from "../modules/programs/executor";
import { deliverSends } from "../modules/proactive/send";
import { ingestDocument, markFailed } from "../modules/knowledge/ingest";
import { config } from "../config";
import { deliverWebhook } from "../modules/webhooks/deliver";
import { buildExport } from "../modules/analytics/exports";
import type { JobMessage } from "./types";
import { flushMetrics, recordJob } from "../modules/metrics";

/** A handler may ask for a retry with its own delay (a platform's retry_after, pacing). */
type Outcome = { retryDelaySeconds?: number } | void;

/** Jobs of a creator being erased (or gone) are dropped: erasure first stops every writer. */
async function creatorErased(env: Env, creatorId: string): Promise<boolean> {
  const row = await env.DB.prepare("SELECT status FROM creators WHERE id = ?").bind(creatorId).first<{ status: string }>();
  return !row || row.status !== "active";
}

async function handle(env: Env, job: JobMessage, attempts: number): Promise<Outcome> {
  if (job.type !== "gdpr.delete" && "creatorId" in job && (await creatorErased(env, job.creatorId))) {
    log("info", "job dropped: creator erased", { type: job.type, creator_id: job.creatorId });
    return;
  }
  switch (job.type) {
    case "gdpr.delete":
      return eraseCreator(env, job.creatorId, job.requestId);
    case "channel.inbound":
      return processInbound(env, job, attempts);
    case "channel.send":
      return processSend(env, job, attempts);
    case "channel.rating_prompt":
      return sendRatingPrompt(env, job);
    case "program.step":
      await runEnrollment(env, job.enrollmentId, job.stepIndex);
      return;
    case "proactive.send":
      await deliverSends(env, job.sendIds);
      return;
    case "knowledge.ingest":
      return ingestDocument(env, job);
    case "webhook.deliver":
      return deliverWebhook(env, job);
    case "analytics.export":
      return buildExport(env, job, attempts);
  }
}

/** Called when a message has failed its last allowed attempt: record the failure instead of retrying. */
async function giveUp(env: Env, job: JobMessage, error: unknown): Promise<void> {
  switch (job.type) {
    case "knowledge.ingest":
      return markFailed(env, job, `Processing failed after repeated attempts: ${String((error as Error)?.message ?? error)}`);
    default:
      throw error;
  }
}

export async function consumeJobs(batch: MessageBatch<JobMessage>, env: Env): Promise<void> {
  // Messages of a batch are independent: run them side by side (up to JOB_CONCURRENCY at a time) so
  // one slow send doesn't hold the rest.
  let next = 0;
  const one = async (message: Message<JobMessage>) => {
    const settled = (result: "ack" | "retry" | "gave_up") =>
      recordJob(message.body?.type ?? "unknown", result, message.attempts, Math.max(0, Date.now() - message.timestamp.getTime()) / 1000);
    try {
      const outcome = await handle(env, message.body, message.attempts);
      if (outcome && outcome.retryDelaySeconds !== undefined) {
        message.retry({ delaySeconds: outcome.retryDelaySeconds });
        settled("retry");
      } else {
        message.ack();
        settled("ack");
      }
    } catch (err) {
      if (message.body?.type === "knowledge.ingest" && message.attempts >= config(env).knowledge.ingestMaxAttempts) {
        // Never block the queue on one document: it is marked failed and the message is done.
        try {
          await giveUp(env, message.body, err);
          log("error", "job gave up", { type: message.body.type, attempts: message.attempts, error: String(err) });
          message.ack();
          settled("gave_up");
          return;
        } catch (giveUpErr) {
          log("error", "could not record a job failure", { error: String(giveUpErr) });
        }
      }
      // Exponential backoff: 2, 4, 8, 16 ... seconds; after max_retries the message goes to the DLQ.
      const delaySeconds = Math.min(300, 2 ** message.attempts);
      log("error", "job failed", { type: message.body?.type, attempts: message.attempts, error: String(err) });
      message.retry({ delaySeconds });
      settled("retry");
    }
  };
  const workers = Math.min(config(env).jobConcurrency, batch.messages.length);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < batch.messages.length) await one(batch.messages[next++]!);
    }),
  );
  // The batch's counts reach /metrics now: a consumer invocation has no later request to flush them.
  await flushMetrics(env);
}
