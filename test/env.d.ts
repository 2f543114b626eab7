import type { Env as AppEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends AppEnv {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
      /** The local Telegram/WhatsApp stand-in (test/support/platform-stub.ts). */
      PLATFORM_STUB_URL: string;
      /** The local receiver of outgoing webhooks (test/support/webhook-receiver.ts). */
      WEBHOOK_RECEIVER_URL: string;
    }
  }
}
