// Route declarations of the auth service (paths as in coaching-platform-services.md).
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../../middleware/auth";
import { requireOperator } from "../../middleware/operator";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import {
  AcceptInvitationBody,
  LoginBody,
  LogoutBody,
  MeSchema,
  MessageSchema,
  PasswordReportSchema,
  PasswordValidateBody,
  RefreshBody,
  RegisterBody,
  ResetConfirmBody,
  ResetRequestBody,
  RevokeBody,
  SessionResponseSchema,
  TokenPairSchema,
} from "./schemas";

const tags = ["Auth"];
const bearer = [{ bearerAuth: [] }];

export const registerRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/register",
  tags,
  summary: "Register a creator account (the caller becomes its owner)",
  request: { body: jsonBody(RegisterBody) },
  responses: {
    201: jsonContent(SessionResponseSchema, "Account created and signed in"),
    ...errorResponses(400, 409, 413, 415, 422, 429),
  },
});

export const loginRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/login",
  tags,
  summary: "Sign in with email and password",
  request: { body: jsonBody(LoginBody) },
  responses: { 200: jsonContent(SessionResponseSchema, "Signed in"), ...errorResponses(400, 401, 422, 429) },
});

export const refreshRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/refresh",
  tags,
  summary: "Exchange a refresh token for a new pair (single use; reuse revokes the family); with X-Session: cookie, the ec_refresh cookie instead of the body",
  request: { body: { required: false, content: { "application/json": { schema: RefreshBody } } } },
  responses: { 200: jsonContent(TokenPairSchema, "New token pair"), ...errorResponses(400, 401, 422, 429) },
});

export const meRoute = createRoute({
  method: "get",
  path: "/api/v1/auth/me",
  tags,
  security: bearer,
  middleware: [requireAuth()] as const,
  summary: "The signed-in member and their creator workspace",
  responses: { 200: jsonContent(MeSchema, "Current account"), ...errorResponses(401, 429) },
});

export const logoutRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/logout",
  tags,
  security: bearer,
  middleware: [requireAuth()] as const,
  summary: "End this session (revokes its refresh-token family and this access token)",
  request: { body: { required: false, content: { "application/json": { schema: LogoutBody } } } },
  responses: { 204: { description: "Signed out" }, ...errorResponses(401, 422, 429) },
});

export const passwordValidateRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/password/validate",
  tags,
  summary: "Check a password against the strength rules (with reasons)",
  request: { body: jsonBody(PasswordValidateBody) },
  responses: { 200: jsonContent(PasswordReportSchema, "Strength report"), ...errorResponses(400, 422, 429) },
});

export const resetRequestRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/password/reset/request",
  tags,
  summary: "Mail a single-use reset link (same answer whether or not the email exists)",
  request: { body: jsonBody(ResetRequestBody) },
  responses: { 202: jsonContent(MessageSchema, "Request accepted"), ...errorResponses(400, 422, 429) },
});

export const resetConfirmRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/password/reset/confirm",
  tags,
  summary: "Set a new password with a reset token (signs out every session)",
  request: { body: jsonBody(ResetConfirmBody) },
  responses: { 200: jsonContent(MessageSchema, "Password changed"), ...errorResponses(400, 422, 429) },
});

export const revokeRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/tokens/revoke",
  tags,
  security: bearer,
  middleware: [requireAuth()] as const,
  summary: "Revoke an access or refresh token of this workspace, or all of the caller's sessions",
  request: { body: jsonBody(RevokeBody) },
  responses: {
    200: jsonContent(z.object({ revoked: z.boolean(), sessions_revoked: z.boolean().optional() }), "Result"),
    ...errorResponses(400, 401, 422, 429),
  },
});

export const rotateKeysRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/keys/rotate",
  tags,
  security: bearer,
  // A platform operation: the operator credential, never a creator token (whatever its role).
  middleware: [requireOperator()] as const,
  summary: "Rotate the signing key (operator credential only): the new key signs from now on, old keys stay published until their tokens expire",
  responses: {
    200: jsonContent(z.object({ kid: z.string(), retired_kids: z.array(z.string()) }), "Rotated"),
    ...errorResponses(403, 429),
  },
});

export const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags,
  summary: "Public keys that verify access tokens",
  responses: {
    200: jsonContent(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), "JSON Web Key Set"),
  },
});

export const acceptInvitationRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/invitations/accept",
  tags,
  summary: "Accept a team invitation: set a password and sign in",
  request: { body: jsonBody(AcceptInvitationBody) },
  responses: { 200: jsonContent(SessionResponseSchema, "Signed in"), ...errorResponses(400, 422, 429) },
});
