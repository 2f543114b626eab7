// The channels module: management API and the public webhooks (Telegram, WhatsApp).
import { createRouter } from "../../lib/router";
import { emailProcessRoutes, emailRoutes } from "./email-routes";
import { channelRoutes } from "./routes";
import { webhookRoutes } from "./webhooks";

// Webhooks first: their literal paths (/api/v1/channels/telegram/webhook) must win over {channel_id}.
export const channelsRouter = createRouter({ rateLimit: "default", meter: "api" }).route("/", webhookRoutes).route("/", emailRoutes).route("/", emailProcessRoutes).route("/", channelRoutes);
export { receiveInboundEmail } from "./email-inbound";

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { openSecrets } from "./secrets";
export { TelegramClient } from "./telegram";
export { WhatsAppTemplateSchema } from "./whatsapp-template";
export type { WhatsAppTemplate } from "./whatsapp-template";
export { upsertEndUser } from "./end-users";
