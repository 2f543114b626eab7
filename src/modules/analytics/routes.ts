// Routes of analytics: overview, dashboard metrics, detailed series, the support dashboard. Each
// answer carries `X-D1-Rows-Read` (what the rollup reads cost; the benchmark reads it).
import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { recordRating } from "./ratings";
import { downloadExport, getExport, requestExport } from "./exports";
import { knowledgeGaps } from "./gaps";
import { AnyObject, KnowledgeGapsQuery, DetailedQuery, DownloadQuery, ExportBody, ExportParams, ExportSchema, OverviewQuery, RatingBody, RatingParams, RatingSchema, SupportDashboardQuery } from "./schemas";
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
  summary: "A time series of one metric by hour, day, week or month, optionally split by channel, program or user type (new/returning)",
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

const ratingRoute = createRoute({
  method: "post",
  path: "/api/v1/conversations/{conversation_id}/rating",
  tags: ["Conversations"],
  security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Record the conversation's satisfaction rating (1–5, optional comment; one per conversation)",
  request: { params: RatingParams, body: jsonBody(RatingBody) },
  responses: { 201: jsonContent(RatingSchema, "Recorded"), ...errorResponses(401, 403, 404, 409, 422, 429) },
});

const exportRoute = createRoute({
  method: "post",
  path: "/api/v1/analytics/export",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Export metrics as CSV or JSON, built in the background (10 a day per creator); download link or email",
  request: { body: jsonBody(ExportBody) },
  responses: { 202: jsonContent(ExportSchema, "Queued"), ...errorResponses(401, 403, 422, 429) },
});

const exportStatusRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/exports/{export_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "An export's status and, when completed, a download link that expires",
  request: { params: ExportParams },
  responses: { 200: jsonContent(ExportSchema, "Export"), ...errorResponses(401, 404, 422, 429) },
});

const exportDownloadRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/exports/{export_id}/download",
  tags,
  summary: "The export's file; the signed, expiring link is the credential (no token needed)",
  request: { params: ExportParams, query: DownloadQuery },
  responses: {
    200: { description: "The CSV or JSON file", content: { "text/csv": { schema: { type: "string" } }, "application/json": { schema: { type: "string" } } } },
    ...errorResponses(403, 404, 422, 429),
  },
});

const gapsRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/knowledge-gaps",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Questions the assistant could not answer, grouped by meaning: examples, count and trend against the previous period",
  request: { query: KnowledgeGapsQuery },
  responses: { 200: jsonContent(AnyObject, "Knowledge gaps"), ...errorResponses(401, 422, 429) },
});

const withRowsRead = (r: { rowsRead: number }) => ({ "X-D1-Rows-Read": String(r.rowsRead) });

export const analyticsRouter = createRouter({ rateLimit: "default", reads: "replica", meter: "api" })
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
  .openapi(ratingRoute, async (c) => {
    const body = c.req.valid("json");
    const rating = await recordRating(c.env, c.get("creatorId")!, c.req.valid("param").conversation_id, {
      score: body.score,
      ...(body.comment !== undefined && { comment: body.comment }),
      source: "member",
      memberId: c.get("auth")!.sub,
    });
    return c.json(rating, 201);
  })
  .openapi(exportRoute, async (c) => {
    const r = await requestExport(c.env, c.get("creatorId")!, c.get("auth")!.sub, c.req.valid("json"));
    return c.json(r, 202);
  })
  .openapi(exportStatusRoute, async (c) => c.json(await getExport(c.env, c.get("creatorId")!, c.req.valid("param").export_id), 200))
  .openapi(exportDownloadRoute, async (c) => {
    const file = await downloadExport(c.env, c.req.valid("param").export_id, c.req.valid("query").token);
    return new Response(file.body, {
      headers: { "Content-Type": file.contentType, "Content-Disposition": `attachment; filename="${file.filename}"`, "Cache-Control": "private, no-store" },
    });
  })
  .openapi(gapsRoute, async (c) => c.json(await knowledgeGaps(c.env, c.get("creatorId")!, c.req.valid("query")), 200))
  .openapi(supportRoute, async (c) => {
    const r = await service.supportDashboard(c.env, c.get("creatorId")!, c.req.valid("query"));
    return c.json(r.body, 200, withRowsRead(r));
  });
