// Routes of the widget configuration: /api/v1/creators/widget/* and the channel service's embed path.
import { createRoute, z } from "@hono/zod-openapi";
import { config } from "../../config";
import { notFound } from "../../lib/errors";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { EmbedCodeSchema, UpdateWidgetConfigBody, WidgetConfigSchema } from "./schemas";
import { rotateWidgetKey } from "./revocation";
import { widgetScriptPath } from "./script";
import * as service from "./service";

const tags = ["Widget"];
const security = [{ bearerAuth: [] }];

const getConfigRoute = createRoute({
  method: "get",
  path: "/api/v1/creators/widget/config",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The web widget's configuration (created with defaults on first read)",
  responses: { 200: jsonContent(WidgetConfigSchema, "Widget configuration"), ...errorResponses(401, 429) },
});

const putConfigRoute = createRoute({
  method: "put",
  path: "/api/v1/creators/widget/config",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Update the widget (partial): colour, position, texts, language, allowed origins",
  request: { body: jsonBody(UpdateWidgetConfigBody) },
  responses: { 200: jsonContent(WidgetConfigSchema, "Updated"), ...errorResponses(400, 401, 403, 413, 415, 422, 429) },
});

const rotateKeyRoute = createRoute({
  method: "post",
  path: "/api/v1/creators/widget/rotate-key",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "New widget key: the old embed snippet stops working, every widget token issued so far is revoked and its socket closed",
  responses: { 200: jsonContent(WidgetConfigSchema, "The config with the new widget_key"), ...errorResponses(401, 403, 429) },
});

const embedRoute = createRoute({
  method: "get",
  path: "/api/v1/creators/widget/embed-code",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The one-line <script> snippet that embeds the widget",
  responses: { 200: jsonContent(EmbedCodeSchema, "Embed code"), ...errorResponses(401, 429) },
});

const channelEmbedRoute = createRoute({
  method: "get",
  path: "/api/v1/channels/widget/embed/{creator_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The embed snippet by creator id (channel service path; same answer as /creators/widget/embed-code)",
  request: { params: z.object({ creator_id: UuidParam("creator_id") }) },
  responses: { 200: jsonContent(EmbedCodeSchema, "Embed code"), ...errorResponses(401, 404, 422, 429) },
});

async function embedCode(env: Parameters<typeof service.getOrCreateConfig>[0], creatorId: string) {
  const row = await service.getOrCreateConfig(env, creatorId);
  const base = config(env).publicBaseUrl.replace(/\/$/, "");
  const script = await widgetScriptPath(env);
  const integrity = await service.widgetIntegrity(env, script);
  return { widget_key: row.widgetKey, embed_code: service.embedSnippet(base, row.widgetKey, script, integrity), script_url: `${base}${script}`, integrity };
}

/** The config with its embed snippet, which points at the versioned script with that script's integrity. */
async function presented(env: Parameters<typeof service.getOrCreateConfig>[0], row: Awaited<ReturnType<typeof service.getOrCreateConfig>>) {
  const script = await widgetScriptPath(env);
  return service.presentConfig(row, config(env).publicBaseUrl, script, await service.widgetIntegrity(env, script));
}

export const widgetRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(getConfigRoute, async (c) => {
    const row = await service.getOrCreateConfig(c.env, c.get("creatorId")!);
    return c.json(await presented(c.env, row), 200);
  })
  .openapi(putConfigRoute, async (c) => {
    const row = await service.updateConfig(c.env, c.get("creatorId")!, c.req.valid("json"));
    return c.json(await presented(c.env, row), 200);
  })
  .openapi(rotateKeyRoute, async (c) => {
    await service.getOrCreateConfig(c.env, c.get("creatorId")!);
    await rotateWidgetKey(c.env, c.get("creatorId")!);
    const row = await service.getOrCreateConfig(c.env, c.get("creatorId")!);
    return c.json(await presented(c.env, row), 200);
  })
  .openapi(embedRoute, async (c) => c.json(await embedCode(c.env, c.get("creatorId")!), 200))
  .openapi(channelEmbedRoute, async (c) => {
    // Another creator's id answers 404, like any resource of another tenant.
    if (c.req.valid("param").creator_id !== c.get("creatorId")) throw notFound("Creator");
    return c.json(await embedCode(c.env, c.get("creatorId")!), 200);
  });
