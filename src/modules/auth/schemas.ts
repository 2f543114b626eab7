// Request and response schemas of the auth service (coaching-platform-services.md, "Auth Service").
import { z } from "@hono/zod-openapi";
import { isValidTimezone } from "../../lib/timezone";
import { PASSWORD_MAX_LENGTH } from "./passwords";

export const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .email("Invalid email format")
  .openapi({ example: "coach@example.com" });

/** An IANA time zone name (Intl knows it). */
export const Timezone = z.string().trim().max(64).refine(isValidTimezone, "Unknown IANA time zone");

const Password = z.string().min(1, "Password is required").max(PASSWORD_MAX_LENGTH * 8);

export const CreatorSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    full_name: z.string(),
    company_name: z.string().nullable(),
    subscription_tier: z.enum(["free", "pro", "enterprise"]),
    is_active: z.boolean(),
    timezone: z.string(),
    bio: z.string().nullable(),
    website_url: z.string().nullable(),
    avatar_url: z.string().nullable(),
    settings: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Creator");

export const MemberSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    full_name: z.string(),
    role: z.enum(["owner", "admin", "agent"]),
    status: z.enum(["invited", "active", "disabled"]),
    last_login_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Member");

export const MeSchema = CreatorSchema.extend({
  member: MemberSchema,
  permissions: z.array(z.string()),
}).openapi("Me");

export const TokenPairSchema = z
  .object({
    access_token: z.string(),
    // Absent when the browser asked for a cookie session (X-Session: cookie): it is in the HttpOnly cookie.
    refresh_token: z.string().optional(),
    token_type: z.literal("bearer"),
    expires_in: z.number().int(),
  })
  .openapi("TokenPair");

export const SessionResponseSchema = TokenPairSchema.extend({ creator: MeSchema }).openapi("AuthSession");

export const RegisterBody = z
  .object({
    email: Email,
    password: Password,
    full_name: z.string().trim().min(1, "Full name is required").max(200),
    company_name: z.string().trim().max(200).optional(),
    timezone: Timezone.optional(),
  })
  .openapi("RegisterRequest");

export const LoginBody = z.object({ email: Email, password: Password }).openapi("LoginRequest");

/** Required unless the request is a cookie session (X-Session: cookie), whose token is in the cookie. */
export const RefreshBody = z.object({ refresh_token: z.string().min(1).max(512).optional() }).openapi("RefreshRequest");

export const LogoutBody = z.object({ refresh_token: z.string().min(1).max(512).optional() }).openapi("LogoutRequest");

export const PasswordValidateBody = z
  .object({ password: z.string().max(PASSWORD_MAX_LENGTH * 8), email: z.string().optional(), full_name: z.string().optional() })
  .openapi("PasswordValidateRequest");

export const PasswordReportSchema = z
  .object({ valid: z.boolean(), score: z.number().int().min(0).max(4), reasons: z.array(z.string()) })
  .openapi("PasswordReport");

export const ResetRequestBody = z.object({ email: Email }).openapi("PasswordResetRequest");

export const ResetConfirmBody = z
  .object({ token: z.string().min(1).max(512), new_password: Password })
  .openapi("PasswordResetConfirm");

export const RevokeBody = z
  .object({
    token: z.string().min(1).max(4096).optional(),
    token_type_hint: z.enum(["access_token", "refresh_token"]).optional(),
    all_sessions: z.boolean().optional(),
  })
  .refine((b) => b.token !== undefined || b.all_sessions === true, {
    message: "Give a token to revoke, or all_sessions: true",
    path: ["token"],
  })
  .openapi("RevokeRequest");

export const AcceptInvitationBody = z
  .object({ token: z.string().min(1).max(512), password: Password, full_name: z.string().trim().min(1).max(200).optional() })
  .openapi("AcceptInvitationRequest");

export const MessageSchema = z.object({ message: z.string() }).openapi("Message");
