// Projects: integration tests inside workerd (the real D1, R2, DO and Queues of miniflare; a second
// workerd project with an OpenAI-compatible server configured), unit tests, and e2e tests in Node
// against a real `wrangler dev`.
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      // Request logs only for failing tests.
      silent: "passed-only" as const,
      projects: [
        workersProject(migrations, "workers", ["test/integration/**/*.test.ts"]),
        // The same Worker with an OpenAI-compatible server configured beside the local provider
        // (AI_PROVIDERS=openai): speech to text inside the conversation object runs against the stand-in.
        workersProject(migrations, "workers-openai", ["test/integration-openai/**/*.test.ts"], (inject) => ({
          AI_PROVIDERS: "openai",
          OPENAI_BASE_URL: inject("openaiStubUrl"),
        })),
        {
          // Pure logic of the console (flow mapping, validation display, upload queue): plain Node.
          test: {
            name: "unit",
            include: ["test/unit/**/*.test.ts"],
            environment: "node",
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});

type Inject = <T = string>(key: string) => T;

/** A workerd test project (miniflare's real D1, R2, DO, Queues) with the local stand-ins; `extraBindings` adds settings. */
function workersProject(migrations: Awaited<ReturnType<typeof readD1Migrations>>, name: string, include: string[], extraBindings?: (inject: Inject) => Record<string, string>) {
  return {
    plugins: [
      // A function so the URL of the platform stub (started by globalSetup) can reach the bindings.
      cloudflareTest(({ inject }) => {
        const extra = extraBindings?.(inject) ?? {};
        const stubUrl = inject<string>("platformStubUrl");
        const oidcDiscoveryUrl = inject<string>("oidcDiscoveryUrl");
        const receiverUrl = inject<string>("webhookReceiverUrl");
        return {
          wrangler: { configPath: "./wrangler.toml" },
          miniflare: {
            bindings: {
              TEST_MIGRATIONS: migrations,
              // Tests rotate keys back to back; production keeps the 60 s cool-down.
              KEY_ROTATION_MIN_INTERVAL_SECONDS: "0",
              // The operator credential of the operator routes' tests (plans, /metrics).
              OPERATOR_API_KEY: "test-operator-key-0123456789abcdef",
              // "Sign in with Google" against the local OpenID provider (test/support/oidc-provider.ts).
              GOOGLE_OIDC_DISCOVERY_URL: oidcDiscoveryUrl,
              GOOGLE_CLIENT_ID: "edgecoach-test-client",
              GOOGLE_CLIENT_SECRET: "edgecoach-test-secret",
              // Telegram and WhatsApp are played by a local server (test/support/platform-stub.ts).
              PLATFORM_STUB_URL: stubUrl,
              TELEGRAM_API_BASE_URL: `${stubUrl}/telegram`,
              WHATSAPP_API_BASE_URL: `${stubUrl}/whatsapp/v21.0`,
              // Outgoing webhooks are delivered to a local receiver (test/support/webhook-receiver.ts).
              WEBHOOK_RECEIVER_URL: receiverUrl,
              ...extra,
            },
          },
        };
      }),
    ],
    test: {
      name,
      include,
      setupFiles: ["./test/setup.ts"],
      // Local stand-ins on 127.0.0.1: the Telegram/WhatsApp platform stub, and the
      // OpenAI-compatible server for the provider contract and answer tests.
      globalSetup: ["./test/support/stub-global-setup.ts", "./test/support/global-setup.ts", "./test/support/oidc-global-setup.ts", "./test/support/webhook-receiver-setup.ts"],
    },
  };
}
