// The JOBS queue consumer: one handler per message type; a failure retries that message alone.
import type { Env } from "../env";
import { log } from "../lib/logging";
import { processInbound } from "../modules/channels/inbound-jobs";
import { processSend } from "../modules/channels/outbound";
import { eraseCreator } from "../modules/gdpr/service";
import type { JobMessage } from "./types";

/** A handler may ask for a retry with its own delay (a platform's retry_after, pacing). */
type Outcome = { retryDelaySeconds?: number } | void;

async function handle(env: Env, job: JobMessage, attempts: number): Promise<Outcome> {
  switch (job.type) {
    case "gdpr.delete":
      return eraseCreator(env, job.creatorId, job.requestId);
    case "channel.inbound":
      return processInbound(env, job, attempts);
    case "channel.send":
      return processSend(env, job, attempts);
  }
}

export async function consumeJobs(batch: MessageBatch<JobMessage>, env: Env): Promise<void> {
  // Messages of a batch are independent: run them side by side so one slow send doesn't hold the rest.
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        const outcome = await handle(env, message.body, message.attempts);
        if (outcome && outcome.retryDelaySeconds !== undefined) message.retry({ delaySeconds: outcome.retryDelaySeconds });
        else message.ack();
      } catch (err) {
        // Exponential backoff: 2, 4, 8, 16 ... seconds; after max_retries the message goes to the DLQ.
        const delaySeconds = Math.min(300, 2 ** message.attempts);
        log("error", "job failed", { type: message.body?.type, attempts: message.attempts, error: String(err) });
        message.retry({ delaySeconds });
      }
    }),
  );
}
