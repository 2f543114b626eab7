// Messages on the JOBS queue. Each module adds its own kinds here and a handler in src/jobs/consumer.ts.
import type { IngestJob } from "../modules/knowledge/ingest";

export type JobMessage = { type: "gdpr.delete"; creatorId: string; requestId: string } | IngestJob;
