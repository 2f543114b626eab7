// Routes of analytics: overview, dashboard metrics, detailed series, the support dashboard. Each
// answer carries `X-D1-Rows-Read` (what the rollup reads cost; the benchmark reads it).
import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { AnyObject, DetailedQuery, OverviewQuery, SupportDashboardQuery } from "./schemas";
import * as service from "./service";

const tags = ["Analytics"];
const security = [{ bearerAuth: [] }];

const overviewRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/overview",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Users, conversations, messages, AI answers, escalations, engagement, CSAT and growth against the previous period",
  request: { query: OverviewQuery },
  responses: { 200: jsonContent(AnyObject, "Overview"), ...errorResponses(401, 422, 429) },
});

const dashboardRoute = createRoute({
  method: "get",
  path: "/api/v1/creators/dashboard/metrics",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The creator dashboard's metrics: the last 30 days against the 30 before",
  responses: { 200: jsonContent(AnyObject, "Dashboard metrics"), ...errorResponses(401, 429) },
});

const detailedRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/detailed",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "A time series of one metric by hour, day, week or month, optionally split by channel",
  request: { query: DetailedQuery },
  responses: { 200: jsonContent(AnyObject, "Series"), ...errorResponses(401, 422, 429) },
});

const supportRoute = createRoute({
  method: "get",
  path: "/api/admin/analytics/dashboard",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Support dashboard: AI-resolved, handovers, first human reply, resolution time, CSAT, by channel and day, top topics",
  request: { query: SupportDashboardQuery },
  responses: { 200: jsonContent(AnyObject, "Support dashboard"), ...errorResponses(401, 422, 429) },
});

const withRowsRead = (r: { rowsRead: number }) => ({ "X-D1-Rows-Read": String(r.rowsRead) });

export const analyticsRouter = createRouter()
  .openapi(overviewRoute, async (c) => {
    const r = await service.overview(c.env, c.get("creatorId")!, c.req.valid("query").period);
    return c.json(r.body, 200, withRowsRead(r));
  })
  .openapi(dashboardRoute, async (c) => {
    const r = await service.dashboardMetrics(c.env, c.get("creatorId")!);
    return c.json(r.body, 200, withRowsRead(r));
  })
  .openapi(detailedRoute, async (c) => {
    const r = await service.detailed(c.env, c.get("creatorId")!, c.req.valid("query"));
    return c.json(r.body, 200, withRowsRead(r));
  })
  .openapi(supportRoute, async (c) => {
    const r = await service.supportDashboard(c.env, c.get("creatorId")!, c.req.valid("query"));
    return c.json(r.body, 200, withRowsRead(r));
  });
