// Starts the Telegram/WhatsApp stand-in once for the workerd integration tests; its URL reaches
// the Worker as TELEGRAM_API_BASE_URL / WHATSAPP_API_BASE_URL (vitest.config.ts).
import type { TestProject } from "vitest/node";
import { startPlatformStub } from "./platform-stub";

declare module "vitest" {
  export interface ProvidedContext {
    platformStubUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const stub = await startPlatformStub();
  project.provide("platformStubUrl", stub.url);
  return () => stub.close();
}
