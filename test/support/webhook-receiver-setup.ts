// Starts the webhook receiver once for the workerd integration tests (WEBHOOK_RECEIVER_URL, vitest.config.ts).
import type { TestProject } from "vitest/node";
import { startWebhookReceiver } from "./webhook-receiver";

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiverUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const receiver = await startWebhookReceiver();
  project.provide("webhookReceiverUrl", receiver.url);
  return () => receiver.close();
}
