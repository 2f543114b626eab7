// The JOBS queue consumer: one handler per message type; a failure retries that message alone.
import type { Env } from "../env";
import { log } from "../lib/logging";
import { eraseCreator } from "../modules/gdpr/service";
import { runEnrollment } from "../modules/programs/executor";
import { deliverSends } from "../modules/proactive/send";
import type { JobMessage } from "./types";

async function handle(env: Env, job: JobMessage): Promise<void> {
  switch (job.type) {
    case "gdpr.delete":
      return eraseCreator(env, job.creatorId, job.requestId);
    case "program.step":
      await runEnrollment(env, job.enrollmentId, job.stepIndex);
      return;
    case "proactive.send":
      await deliverSends(env, job.sendIds);
      return;
  }
}

export async function consumeJobs(batch: MessageBatch<JobMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      await handle(env, message.body);
      message.ack();
    } catch (err) {
      // Exponential backoff: 2, 4, 8, 16 ... seconds; after max_retries the message goes to the DLQ.
      const delaySeconds = Math.min(300, 2 ** message.attempts);
      log("error", "job failed", { type: message.body?.type, attempts: message.attempts, error: String(err) });
      message.retry({ delaySeconds });
    }
  }
}
