// Route declarations of the plans module: the creator's dashboard and the operator's plan change.
import { createRoute, z } from "@hono/zod-openapi";
import { TIERS } from "../../config";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { requireOperator } from "../../middleware/operator";
import { PlanOverridesSchema } from "./limits";

const Usage = z.object({ used: z.number(), limit: z.number().nullable(), remaining: z.number().nullable() });

export const dashboardRoute = createRoute({
  method: "get",
  path: "/api/v1/auth/dashboard",
  tags: ["Plans"],
  security: [{ bearerAuth: [] }],
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Usage this period, remaining quota and limits of the plan; sessions and conversations",
  responses: {
    200: jsonContent(
      z
        .object({
          subscription_tier: z.enum(TIERS),
          metering: z.boolean(),
          period: z.object({ day_resets_at: z.string(), month_resets_at: z.string() }),
          usage: z.record(z.string(), z.union([z.object({ day: Usage, month: Usage }), Usage])),
          overrides: z.record(z.string(), z.unknown()),
          sessions: z.object({ active: z.number() }),
          conversations: z.object({ total: z.number(), active: z.number(), by_status: z.record(z.string(), z.number()) }),
        })
        .openapi("Dashboard"),
      "Dashboard",
    ),
    ...errorResponses(401, 403, 429),
  },
});

export const setPlanRoute = createRoute({
  method: "put",
  path: "/api/v1/operator/creators/{creator_id}/plan",
  tags: ["Operator"],
  security: [{ bearerAuth: [] }],
  middleware: [requireOperator()] as const,
  summary: "Set a creator's tier and per-creator overrides of its limits (operator credential only)",
  request: {
    params: z.object({ creator_id: UuidParam("creator_id") }),
    body: jsonBody(z.object({ tier: z.enum(TIERS), overrides: PlanOverridesSchema.optional() }).strict().openapi("SetPlanRequest")),
  },
  responses: {
    200: jsonContent(
      z.object({ creator_id: z.string(), subscription_tier: z.enum(TIERS), overrides: z.record(z.string(), z.unknown()), limits: z.record(z.string(), z.unknown()) }),
      "The plan now in force",
    ),
    ...errorResponses(400, 403, 404, 422),
  },
});
