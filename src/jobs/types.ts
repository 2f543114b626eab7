// Messages on the JOBS queue. Each module adds its own kinds here and a handler in src/jobs/consumer.ts.
export type JobMessage =
  | { type: "gdpr.delete"; creatorId: string; requestId: string }
  /** Run an enrolment from the step the tick saw (a job for a step already done is a no-op). */
  | { type: "program.step"; creatorId: string; enrollmentId: string; stepIndex: number }
  /** Deliver a chunk of claimed proactive sends (each is idempotent on its own). */
  | { type: "proactive.send"; sendIds: number[] };
