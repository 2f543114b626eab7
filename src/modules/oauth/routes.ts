// Route declarations of the oauth module: the browser flow of "Sign in with Google".
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonContent } from "../../lib/schemas";

const tags = ["Auth"];
const Provider = z.string().min(1).max(32).openapi({ param: { name: "provider", in: "path" }, example: "google" });
/** Where the browser lands afterwards: a path on this site only (no open redirect). */
export const RedirectTo = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[^\s\\]*$/, "must be a path on this site, like /app/")
  .optional();
const Ticket = z.string().min(16).max(128);
const redirect = { description: "Redirect", headers: { Location: { schema: { type: "string" as const } } } };

export const loginRoute = createRoute({
  method: "get",
  path: "/api/v1/auth/{provider}/login",
  tags,
  summary: "Start signing in with a provider (google): redirects with state, nonce and PKCE",
  request: {
    params: z.object({ provider: Provider }),
    // OpenID Connect's login_hint: the console pre-fills the account (Google skips its chooser).
    query: z.object({ redirect_to: RedirectTo, login_hint: z.string().trim().min(1).max(320).optional() }),
  },
  responses: { 302: redirect, ...errorResponses(404, 422, 429) },
});

export const callbackRoute = createRoute({
  method: "get",
  path: "/api/v1/auth/{provider}/callback",
  tags,
  summary: "The provider's redirect back: exchanges the code and verifies the ID token, then signs in, registers or links",
  request: {
    params: z.object({ provider: Provider }),
    query: z.object({ code: z.string().max(2048).optional(), state: z.string().max(512).optional(), error: z.string().max(256).optional() }),
  },
  responses: { 302: redirect, ...errorResponses(401, 403, 404, 422, 429) },
});

export const successRedirectRoute = createRoute({
  method: "get",
  path: "/api/v1/auth/login-success-redirect",
  tags,
  summary: "Post-login page: moves the temporary token to validate-token by a same-site navigation",
  request: { query: z.object({ token: Ticket }) },
  responses: { 200: { description: "An HTML page that continues to validate-token", content: { "text/html": { schema: z.string() } } }, ...errorResponses(422) },
});

export const validateTokenRoute = createRoute({
  method: "get",
  path: "/api/v1/auth/validate-token",
  tags,
  summary: "Trades the temporary token (single use, one minute) for a session: sets the console's refresh cookie",
  request: { query: z.object({ token: Ticket }) },
  responses: {
    200: jsonContent(
      z.object({ access_token: z.string(), token_type: z.literal("bearer"), expires_in: z.number(), redirect_to: z.string(), creator: z.record(z.string(), z.unknown()) }),
      "Signed in (Accept: application/json)",
    ),
    302: redirect,
    ...errorResponses(401, 422),
  },
});
