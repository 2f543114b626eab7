// Routes of outgoing webhooks: endpoints (CRUD, secret rotation), the delivery log and replay.
import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import {
  CreateWebhookBody,
  DeliveriesQuery,
  DeliveryListSchema,
  DeliveryParams,
  DeliverySchema,
  UpdateWebhookBody,
  WebhookListSchema,
  WebhookParams,
  WebhookSchema,
  WebhookWithSecretSchema,
} from "./schemas";
import * as service from "./service";

const tags = ["Webhooks"];
const security = [{ bearerAuth: [] }];
// Endpoints receive the creator's data: managing them needs the "admin" permission (owner, admin).

const createWebhookRoute = createRoute({
  method: "post",
  path: "/api/v1/webhooks",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Subscribe an endpoint to events; the signing secret is in this answer only",
  request: { body: jsonBody(CreateWebhookBody) },
  responses: { 201: jsonContent(WebhookWithSecretSchema, "Created"), ...errorResponses(401, 403, 409, 422, 429) },
});
const listRoute = createRoute({
  method: "get",
  path: "/api/v1/webhooks",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Webhook endpoints",
  responses: { 200: jsonContent(WebhookListSchema, "Endpoints"), ...errorResponses(401, 403, 429) },
});
const getRoute = createRoute({
  method: "get",
  path: "/api/v1/webhooks/{webhook_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "One endpoint",
  request: { params: WebhookParams },
  responses: { 200: jsonContent(WebhookSchema, "Endpoint"), ...errorResponses(401, 403, 404, 422, 429) },
});
const updateRoute = createRoute({
  method: "put",
  path: "/api/v1/webhooks/{webhook_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Change url, events, description or enabled (fields left out stay); enabling clears the failure state",
  request: { params: WebhookParams, body: jsonBody(UpdateWebhookBody) },
  responses: { 200: jsonContent(WebhookSchema, "Endpoint"), ...errorResponses(401, 403, 404, 422, 429) },
});
const deleteRoute = createRoute({
  method: "delete",
  path: "/api/v1/webhooks/{webhook_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Delete an endpoint and its delivery log",
  request: { params: WebhookParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404, 422, 429) },
});
const rotateRoute = createRoute({
  method: "post",
  path: "/api/v1/webhooks/{webhook_id}/rotate-secret",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "A new signing secret (shown once); deliveries are signed with it from now on",
  request: { params: WebhookParams },
  responses: { 200: jsonContent(WebhookWithSecretSchema, "Endpoint with its new secret"), ...errorResponses(401, 403, 404, 422, 429) },
});
const deliveriesRoute = createRoute({
  method: "get",
  path: "/api/v1/webhooks/{webhook_id}/deliveries",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "The delivery log, newest first: status, response code, latency and every attempt",
  request: { params: WebhookParams, query: DeliveriesQuery },
  responses: { 200: jsonContent(DeliveryListSchema, "Deliveries"), ...errorResponses(401, 403, 404, 422, 429) },
});
const replayRoute = createRoute({
  method: "post",
  path: "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Send a delivery again now (same webhook-id, so receivers can de-duplicate)",
  request: { params: DeliveryParams },
  responses: { 202: jsonContent(DeliverySchema, "Queued"), ...errorResponses(401, 403, 404, 409, 422, 429) },
});

export const webhooksRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(createWebhookRoute, async (c) => c.json(await service.createWebhook(c.env, c.get("creatorId")!, c.req.valid("json")), 201))
  .openapi(listRoute, async (c) => c.json(await service.listWebhooks(c.env, c.get("creatorId")!), 200))
  .openapi(getRoute, async (c) => c.json(await service.getWebhook(c.env, c.get("creatorId")!, c.req.valid("param").webhook_id), 200))
  .openapi(updateRoute, async (c) =>
    c.json(await service.updateWebhook(c.env, c.get("creatorId")!, c.req.valid("param").webhook_id, c.req.valid("json")), 200),
  )
  .openapi(deleteRoute, async (c) => {
    await service.deleteWebhook(c.env, c.get("creatorId")!, c.req.valid("param").webhook_id);
    return c.body(null, 204);
  })
  .openapi(rotateRoute, async (c) => c.json(await service.rotateSecret(c.env, c.get("creatorId")!, c.req.valid("param").webhook_id), 200))
  .openapi(deliveriesRoute, async (c) =>
    c.json(await service.listDeliveries(c.env, c.get("creatorId")!, c.req.valid("param").webhook_id, c.req.valid("query")), 200),
  )
  .openapi(replayRoute, async (c) => {
    const p = c.req.valid("param");
    return c.json(await service.replayDelivery(c.env, c.get("creatorId")!, p.webhook_id, p.delivery_id), 202);
  });

