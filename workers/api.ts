// The Worker entrypoint: REST (Hono), the queue consumer, cron and inbound email; re-exports the Durable Objects.
import { app } from "../src/app";
import type { Env } from "../src/env";
import { consumeJobs } from "../src/jobs/consumer";
import type { JobMessage } from "../src/jobs/types";
import { completeIdleConversations } from "../src/modules/conversations/idle";
import { runTick } from "../src/modules/proactive/tick";
import { sweepActivity } from "../src/modules/analytics";
import { rotateKeysIfDue } from "../src/modules/auth/keys";
import { receiveInboundEmail } from "../src/modules/channels";

export { Conversation } from "../durable-objects/conversation";
export { ChannelPacer } from "../durable-objects/channel-pacer";
export { MirrorWriter } from "../durable-objects/mirror-writer";
export { RateLimiter } from "../durable-objects/rate-limiter";
export { UsageMeter } from "../durable-objects/usage-meter";
export { MetricsStore } from "../durable-objects/metrics-store";
export { TaskWorkflow } from "../src/modules/tasks";
export { Inbox } from "../durable-objects/inbox";

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<JobMessage>, env: Env) => consumeJobs(batch, env),
  // Email Routing → the email channel (src/modules/channels/email-inbound.ts); locally POST /cdn-cgi/handler/email.
  email: (message: ForwardableEmailMessage, env: Env) => receiveInboundEmail(message, env),
  // Cron Triggers: the program scheduler and the proactive engine (src/modules/proactive/tick.ts),
  // and the idle sweep that completes quiet conversations (src/modules/conversations/idle.ts).
  scheduled: async (_controller: ScheduledController, env: Env) => {
    await Promise.all([runTick(env), completeIdleConversations(env), sweepActivity(env), rotateKeysIfDue(env)]);
  },
} satisfies ExportedHandler<Env, JobMessage>;
