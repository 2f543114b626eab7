// The channels module: management API and the public webhooks (Telegram, WhatsApp).
import { createRouter } from "../../lib/router";
import { channelRoutes } from "./routes";
import { webhookRoutes } from "./webhooks";

// Webhooks first: their literal paths (/api/v1/channels/telegram/webhook) must win over {channel_id}.
export const channelsRouter = createRouter({ rateLimit: "default", meter: "api" }).route("/", webhookRoutes).route("/", channelRoutes);
