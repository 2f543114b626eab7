// Outgoing webhooks: endpoints, Standard Webhooks signed deliveries on the JOBS queue, the delivery log.
export { webhooksRouter } from "./routes";

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { fanOutWebhooks } from "./fanout";
export type { ActivityEvent } from "./fanout";
