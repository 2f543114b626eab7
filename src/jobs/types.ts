// Messages on the JOBS queue. Each module adds its own kinds here and a handler in src/jobs/consumer.ts.
export type JobMessage = { type: "gdpr.delete"; creatorId: string; requestId: string };
