// The JOBS queue consumer: one handler per message type; a failure retries that message alone.
import type { Env } from "../env";
import { log } from "../lib/logging";
import { eraseCreator } from "../modules/gdpr/service";
import { ingestDocument, markFailed } from "../modules/knowledge/ingest";
import { config } from "../config";
import type { JobMessage } from "./types";

async function handle(env: Env, job: JobMessage): Promise<void> {
  switch (job.type) {
    case "gdpr.delete":
      return eraseCreator(env, job.creatorId, job.requestId);
    case "knowledge.ingest":
      return ingestDocument(env, job);
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
  // The messages of a batch run concurrently (their work is mostly D1/R2 waits); each is acked or
  // retried on its own.
  await Promise.all(batch.messages.map((message) => consumeOne(message, env)));
}

async function consumeOne(message: Message<JobMessage>, env: Env): Promise<void> {
  try {
    await handle(env, message.body);
    message.ack();
  } catch (err) {
    if (message.body?.type === "knowledge.ingest" && message.attempts >= config(env).knowledge.ingestMaxAttempts) {
      // Never block the queue on one document: it is marked failed and the message is done.
      try {
        await giveUp(env, message.body, err);
        log("error", "job gave up", { type: message.body.type, attempts: message.attempts, error: String(err) });
        message.ack();
        return;
      } catch (giveUpErr) {
        log("error", "could not record a job failure", { error: String(giveUpErr) });
      }
    }
    // Exponential backoff: 2, 4, 8, 16 ... seconds; after max_retries the message goes to the DLQ.
    const delaySeconds = Math.min(300, 2 ** message.attempts);
    log("error", "job failed", { type: message.body?.type, attempts: message.attempts, error: String(err) });
    message.retry({ delaySeconds });
  }
}
