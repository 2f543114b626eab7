// Routes of the proactive engine: /api/v1/proactive-engine/rules (+ preview) and /analytics.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { AnalyticsQuery, CreateRuleSchema, RuleSchema, UpdateRuleSchema } from "./schemas";
import * as service from "./service";

const tags = ["Proactive engine"];
const security = [{ bearerAuth: [] }];
const RuleParams = z.object({ rule_id: UuidParam("rule_id") });
const read = [requireAuth({ permission: "read" })];
const write = [requireAuth({ permission: "write" })];
const BASE = "/api/v1/proactive-engine";

const createRule = createRoute({
  method: "post", path: `${BASE}/rules`, tags, security, middleware: write, summary: "Create a proactive rule (trigger, audience, actions)",
  request: { body: jsonBody(CreateRuleSchema) },
  responses: { 201: jsonContent(RuleSchema, "Created"), ...errorResponses(400, 401, 403, 422, 429) },
});
const listRules = createRoute({
  method: "get", path: `${BASE}/rules`, tags, security, middleware: read, summary: "Rules with triggered_count and success_rate",
  responses: { 200: jsonContent(z.object({ rules: z.array(RuleSchema), total: z.number().int() }), "Rules"), ...errorResponses(401, 429) },
});
const getRule = createRoute({
  method: "get", path: `${BASE}/rules/{rule_id}`, tags, security, middleware: read, summary: "A rule",
  request: { params: RuleParams },
  responses: { 200: jsonContent(RuleSchema, "Rule"), ...errorResponses(401, 404, 422, 429) },
});
const updateRule = createRoute({
  method: "put", path: `${BASE}/rules/{rule_id}`, tags, security, middleware: write, summary: "Update a rule (fields given replace the old ones)",
  request: { params: RuleParams, body: jsonBody(UpdateRuleSchema) },
  responses: { 200: jsonContent(RuleSchema, "Updated"), ...errorResponses(400, 401, 403, 404, 422, 429) },
});
const deleteRule = createRoute({
  method: "delete", path: `${BASE}/rules/{rule_id}`, tags, security, middleware: write, summary: "Delete a rule (its pending sends are dropped)",
  request: { params: RuleParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404, 422, 429) },
});
const previewRule = createRoute({
  method: "post", path: `${BASE}/rules/{rule_id}/preview`, tags, security, middleware: read, summary: "Dry run: who would receive what if the engine ran now",
  request: { params: RuleParams },
  responses: {
    200: jsonContent(z.object({ rule_id: z.string(), evaluated_at: z.string(), total_recipients: z.number().int(), recipients: z.array(z.record(z.string(), z.unknown())) }), "Preview"),
    ...errorResponses(401, 404, 422, 429),
  },
});
const analytics = createRoute({
  method: "get", path: `${BASE}/analytics`, tags, security, middleware: read, summary: "Triggers, successful engagements (reply within 24 h), per-rule performance",
  request: { query: AnalyticsQuery },
  responses: { 200: jsonContent(z.record(z.string(), z.unknown()), "Analytics"), ...errorResponses(401, 422, 429) },
});

export const proactiveRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(createRule, async (c) => c.json(await service.createRule(c.env, c.get("creatorId")!, c.req.valid("json")), 201))
  .openapi(listRules, async (c) => c.json(await service.listRules(c.env, c.get("creatorId")!), 200))
  .openapi(getRule, async (c) => c.json(await service.getRule(c.env, c.get("creatorId")!, c.req.valid("param").rule_id), 200))
  .openapi(updateRule, async (c) => c.json(await service.updateRule(c.env, c.get("creatorId")!, c.req.valid("param").rule_id, c.req.valid("json")), 200))
  .openapi(deleteRule, async (c) => {
    await service.deleteRule(c.env, c.get("creatorId")!, c.req.valid("param").rule_id);
    return c.body(null, 204);
  })
  .openapi(previewRule, async (c) => c.json(await service.preview(c.env, c.get("creatorId")!, c.req.valid("param").rule_id), 200))
  .openapi(analytics, async (c) => c.json(await service.analytics(c.env, c.get("creatorId")!, c.req.valid("query")), 200));
