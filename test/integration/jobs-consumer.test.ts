// The JOBS consumer's worker pool: every message of a batch is handled exactly once whatever
// JOB_CONCURRENCY says (a pool that skipped or repeated a message would lose or double work).
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeJobs } from "../../src/jobs/consumer";
import type { JobMessage } from "../../src/jobs/types";
import { config } from "../../src/config";

describe("JOBS consumer concurrency", () => {
  for (const concurrency of ["1", "3", "50"]) {
    it(`acknowledges each of 7 messages once with JOB_CONCURRENCY=${concurrency}`, async () => {
      const messages = Array.from({ length: 7 }, (_, i) => ({
        id: `m${i}`,
        timestamp: new Date(),
        attempts: 1,
        // A channel that doesn't exist: the handler finds nothing to answer through and returns.
        body: { type: "channel.inbound" as const, creatorId: crypto.randomUUID(), channelId: crypto.randomUUID(), eventKey: `k${i}`, event: { kind: "message", text: "hi" } as never },
      }));
      const batch = createMessageBatch<JobMessage>("edgecoach-jobs", messages);
      const ctx = createExecutionContext();
      await consumeJobs(batch, { ...env, JOB_CONCURRENCY: concurrency });
      const result = await getQueueResult(batch, ctx);
      expect([...result.explicitAcks].sort()).toEqual(messages.map((m) => m.id).sort());
      expect(result.retryMessages).toEqual([]);
    });
  }

  it("keeps the setting within 1..50", () => {
    expect(config({ ...env, JOB_CONCURRENCY: "0" }).jobConcurrency).toBe(1);
    expect(config({ ...env, JOB_CONCURRENCY: "500" }).jobConcurrency).toBe(50);
    expect(config({ ...env, JOB_CONCURRENCY: undefined }).jobConcurrency).toBe(50);
  });
});
