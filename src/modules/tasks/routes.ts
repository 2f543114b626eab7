// Route declarations of the tasks module: /api/v1/tasks (background analyses and research reports).
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { AnalyzeSchema, ResearchSchema, TaskStatusSchema } from "./schemas";

const tags = ["Tasks"];
const security = [{ bearerAuth: [] }];
const TaskParams = z.object({ task_id: UuidParam("task_id") });

export const analyzeRoute = createRoute({
  method: "post",
  path: "/api/v1/tasks/analyze",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Analyse conversations (given ids, or a period) in the background to answer a question",
  request: { body: jsonBody(AnalyzeSchema) },
  responses: { 202: jsonContent(TaskStatusSchema, "Started"), ...errorResponses(400, 401, 403, 404, 422, 429) },
});

export const researchRoute = createRoute({
  method: "post",
  path: "/api/v1/tasks/research",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Research a topic across the knowledge base(s) in the background: a cited report",
  request: { body: jsonBody(ResearchSchema) },
  responses: { 202: jsonContent(TaskStatusSchema, "Started"), ...errorResponses(400, 401, 403, 404, 422, 429) },
});

export const listRoute = createRoute({
  method: "get",
  path: "/api/v1/tasks",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The workspace's latest 100 tasks",
  responses: { 200: jsonContent(z.object({ tasks: z.array(TaskStatusSchema), total: z.number().int() }), "Tasks"), ...errorResponses(401, 429) },
});

export const statusRoute = createRoute({
  method: "get",
  path: "/api/v1/tasks/{task_id}/status",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "State, current step and progress (0–100)",
  request: { params: TaskParams },
  responses: { 200: jsonContent(TaskStatusSchema, "Status"), ...errorResponses(401, 404, 422, 429) },
});

export const resultsRoute = createRoute({
  method: "get",
  path: "/api/v1/tasks/{task_id}/results",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The report of a completed task (409 until it has completed)",
  request: { params: TaskParams },
  responses: {
    200: jsonContent(z.object({ task_id: z.string(), kind: z.string(), completed_at: z.string(), report: z.record(z.string(), z.unknown()) }), "Report"),
    ...errorResponses(401, 404, 409, 422, 429),
  },
});

export const cancelRoute = createRoute({
  method: "post",
  path: "/api/v1/tasks/{task_id}/cancel",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Cancel a queued or running task (its workflow is terminated)",
  request: { params: TaskParams },
  responses: { 200: jsonContent(TaskStatusSchema, "Cancelled"), ...errorResponses(401, 404, 409, 422, 429) },
});
