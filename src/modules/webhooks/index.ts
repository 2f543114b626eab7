// Outgoing webhooks: endpoints, Standard Webhooks signed deliveries on the JOBS queue, the delivery log.
export { webhooksRouter } from "./routes";
