// Routes of the programs module: /api/v1/programs (and the older /api/v1/creators/programs names)
// plus enrolments under /api/v1/users/{user_id}/programs/{program_id}.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import * as enrollments from "./enrollments";
import { listProgramEnrollments } from "./enrollment-list";
import { CreateProgramSchema, EnrollmentSchema, ListProgramsQuery, PaginationSchema, ProgramSchema, UpdateProgramSchema } from "./schemas";
import * as service from "./service";

const tags = ["Programs"];
const security = [{ bearerAuth: [] }];
const ProgramParams = z.object({ program_id: UuidParam("program_id") });
const EnrollParams = z.object({ user_id: UuidParam("user_id"), program_id: UuidParam("program_id") });
const PublishResult = z.object({ id: z.string(), status: z.string(), published_at: z.string().nullable(), version: z.number().int(), published_version: z.number().int().nullable() });

function programRoutes(base: string, hidden: boolean) {
  const common = { tags, security, ...(hidden ? { hide: true } : {}) };
  const read = [requireAuth({ permission: "read" })];
  const write = [requireAuth({ permission: "write" })];
  return {
    create: createRoute({
      ...common, method: "post", path: base, middleware: write, summary: "Create a program (draft, version 1); the flow is checked leniently",
      request: { body: jsonBody(CreateProgramSchema) },
      responses: { 201: jsonContent(ProgramSchema, "Created"), ...errorResponses(400, 401, 403, 422, 429) },
    }),
    list: createRoute({
      ...common, method: "get", path: base, middleware: read, summary: "List programs",
      request: { query: ListProgramsQuery },
      responses: { 200: jsonContent(z.object({ programs: z.array(ProgramSchema), pagination: PaginationSchema }), "Programs"), ...errorResponses(401, 422, 429) },
    }),
    get: createRoute({
      ...common, method: "get", path: `${base}/{program_id}`, middleware: read, summary: "A program with its flow and analytics",
      request: { params: ProgramParams },
      responses: { 200: jsonContent(ProgramSchema, "Program"), ...errorResponses(401, 404, 422, 429) },
    }),
    update: createRoute({
      ...common, method: "put", path: `${base}/{program_id}`, middleware: write, summary: "Edit a program (a published one becomes a draft of the next version)",
      request: { params: ProgramParams, body: jsonBody(UpdateProgramSchema) },
      responses: { 200: jsonContent(ProgramSchema, "Updated"), ...errorResponses(400, 401, 403, 404, 409, 422, 429) },
    }),
    publish: createRoute({
      ...common, method: "post", path: `${base}/{program_id}/publish`, middleware: write, summary: "Validate strictly and freeze the draft as a published version",
      request: { params: ProgramParams },
      responses: { 200: jsonContent(PublishResult, "Published"), ...errorResponses(401, 403, 404, 409, 422, 429) },
    }),
    archive: createRoute({
      ...common, method: "post", path: `${base}/{program_id}/archive`, middleware: write, summary: "Archive (no new enrolments; running ones finish)",
      request: { params: ProgramParams },
      responses: { 200: jsonContent(ProgramSchema, "Archived"), ...errorResponses(401, 403, 404, 422, 429) },
    }),
  };
}

function mount(router: ReturnType<typeof createRouter>, r: ReturnType<typeof programRoutes>) {
  return router
    .openapi(r.create, async (c) => c.json(await service.createProgram(c.env, c.get("creatorId")!, c.req.valid("json")), 201))
    .openapi(r.list, async (c) => c.json(await service.listPrograms(c.env, c.get("creatorId")!, c.req.valid("query")), 200))
    .openapi(r.get, async (c) => c.json(await service.getProgram(c.env, c.get("creatorId")!, c.req.valid("param").program_id), 200))
    .openapi(r.update, async (c) => c.json(await service.updateProgram(c.env, c.get("creatorId")!, c.req.valid("param").program_id, c.req.valid("json")), 200))
    .openapi(r.publish, async (c) => c.json(await service.publishProgram(c.env, c.get("creatorId")!, c.req.valid("param").program_id), 200))
    .openapi(r.archive, async (c) => c.json(await service.archiveProgram(c.env, c.get("creatorId")!, c.req.valid("param").program_id), 200));
}

const enrollTags = ["Programs"];
const enrollRoute = createRoute({
  tags: enrollTags, security, method: "post", path: "/api/v1/users/{user_id}/programs/{program_id}/enroll",
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Enrol a user in the program's published version (409 while an enrolment runs)",
  request: { params: EnrollParams },
  responses: {
    201: jsonContent(z.object({ enrollment_id: z.string(), program_id: z.string(), user_id: z.string(), version: z.number().int(), status: z.literal("active"), enrolled_at: z.string() }), "Enrolled"),
    ...errorResponses(401, 403, 404, 409, 422, 429),
  },
});
const enrollmentRoute = createRoute({
  tags: enrollTags, security, method: "get", path: "/api/v1/users/{user_id}/programs/{program_id}",
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The user's enrolment in the program: status, progress, current step, history",
  request: { params: EnrollParams },
  responses: { 200: jsonContent(EnrollmentSchema, "Enrollment"), ...errorResponses(401, 404, 422, 429) },
});
const actionRoute = (action: "pause" | "resume" | "cancel") =>
  createRoute({
    tags: enrollTags, security, method: "post", path: `/api/v1/users/{user_id}/programs/{program_id}/${action}`,
    middleware: [requireAuth({ permission: "write" })] as const,
    summary: `${action[0]!.toUpperCase()}${action.slice(1)} the user's running enrolment`,
    request: { params: EnrollParams },
    responses: { 200: jsonContent(EnrollmentSchema, "Enrollment"), ...errorResponses(401, 403, 404, 409, 422, 429) },
  });

const ListEnrollmentsQuery = z.object({
  status: z.enum(["active", "paused", "completed", "cancelled"]).optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const EnrollmentListItem = z.object({
  enrollment_id: z.string(),
  program_id: z.string(),
  version: z.number().int(),
  status: z.enum(["active", "paused", "completed", "cancelled"]),
  user: z.object({ id: z.string(), display_name: z.string().nullable(), channel: z.string(), external_id: z.string() }),
  progress: z.number(),
  current_step: z.object({ node_id: z.string(), type: z.string(), waiting_for: z.enum(["answer", "time"]).nullable(), due_at: z.string().nullable() }).nullable(),
  enrolled_at: z.string(),
  last_progress_at: z.string(),
  paused_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  cancelled_at: z.string().nullable(),
});
const listEnrollmentsRoute = createRoute({
  tags: enrollTags, security, method: "get", path: "/api/v1/programs/{program_id}/enrollments",
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The program's enrolments, newest first: state, end user, current step, started",
  request: { params: ProgramParams, query: ListEnrollmentsQuery },
  responses: { 200: jsonContent(z.object({ enrollments: z.array(EnrollmentListItem), pagination: PaginationSchema }), "Enrolments"), ...errorResponses(401, 404, 422, 429) },
});

const withEnrollment = (router: ReturnType<typeof createRouter>) => {
  let r = router
    .openapi(listEnrollmentsRoute, async (c) =>
      c.json(await listProgramEnrollments(c.env, c.get("creatorId")!, c.req.valid("param").program_id, c.req.valid("query")), 200),
    )
    .openapi(enrollRoute, async (c) => {
      const p = c.req.valid("param");
      return c.json(await enrollments.enroll(c.env, c.get("creatorId")!, p.user_id, p.program_id), 201);
    })
    .openapi(enrollmentRoute, async (c) => {
      const p = c.req.valid("param");
      return c.json(await enrollments.getEnrollment(c.env, c.get("creatorId")!, p.user_id, p.program_id), 200);
    });
  for (const action of ["pause", "resume", "cancel"] as const) {
    r = r.openapi(actionRoute(action), async (c) => {
      const p = c.req.valid("param");
      return c.json(await enrollments.transition(c.env, c.get("creatorId")!, p.user_id, p.program_id, action), 200);
    });
  }
  return r;
};

export const programsRouter = withEnrollment(
  mount(mount(createRouter({ rateLimit: "default", meter: "api" }), programRoutes("/api/v1/programs", false)), programRoutes("/api/v1/creators/programs", true)),
);

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { deliverToEndUser } from "./delivery";
export { presentEnrollment } from "./enrollments";
export { onEndUserCreated } from "./inbound";
export { dispatchDueEnrollments } from "./scheduler";
export { PaginationSchema } from "./schemas";
export { renderTemplate } from "./template";
