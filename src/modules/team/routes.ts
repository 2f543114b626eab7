// Route declarations of the team module: /api/v1/team/members.
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { Email, MemberSchema } from "../auth";

const tags = ["Team"];
const security = [{ bearerAuth: [] }];
const TeamRole = z.enum(["admin", "agent"]);
const MemberParams = z.object({ member_id: UuidParam("member_id") });

export const listRoute = createRoute({
  method: "get",
  path: "/api/v1/team/members",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Members of this workspace (owner, admins, agents, pending invitations)",
  responses: {
    200: jsonContent(z.object({ members: z.array(MemberSchema), total: z.number().int() }), "Members"),
    ...errorResponses(401, 429),
  },
});

export const inviteRoute = createRoute({
  method: "post",
  path: "/api/v1/team/members",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Invite an admin or an agent (mails a single-use invitation, valid 7 days)",
  request: {
    body: jsonBody(z.object({ email: Email, full_name: z.string().trim().min(1).max(200), role: TeamRole }).openapi("InviteMemberRequest")),
  },
  responses: {
    201: jsonContent(MemberSchema.extend({ invitation_expires_at: z.string() }), "Invited"),
    ...errorResponses(400, 401, 403, 409, 422, 429),
  },
});

export const updateRoute = createRoute({
  method: "put",
  path: "/api/v1/team/members/{member_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Change a member's role (takes effect on their next request)",
  request: { params: MemberParams, body: jsonBody(z.object({ role: TeamRole }).strict().openapi("ChangeRoleRequest")) },
  responses: { 200: jsonContent(MemberSchema, "Updated"), ...errorResponses(400, 401, 403, 404, 422, 429) },
});

export const removeRoute = createRoute({
  method: "delete",
  path: "/api/v1/team/members/{member_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Remove a member (their sessions end at once)",
  request: { params: MemberParams },
  responses: { 204: { description: "Removed" }, ...errorResponses(401, 403, 404, 422, 429) },
});
