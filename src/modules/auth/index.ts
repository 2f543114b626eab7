// Wires the auth routes to the services.
import type { Context } from "hono";
import { config } from "../../config";
import type { AppBindings } from "../../env";
import { AppError } from "../../lib/errors";
import { createRouter, withPolicy } from "../../lib/router";
import { assertSameOrigin, clearRefreshCookie, deliverSession, readRefreshCookie, wantsCookieSession } from "./cookie-session";
import { checkPassword } from "./passwords";
import { presentMe } from "./presenters";
import { publishedKeys, rotateKeys } from "./keys";
import { rotateRefreshToken } from "./login-sessions";
import * as routes from "./routes";
import * as service from "./service";

// Brute-forceable routes (guessing passwords, tokens or accounts) get the strict "auth" limit; the
// public key set is unlimited (every verifier fetches it).
for (const r of [routes.registerRoute, routes.loginRoute, routes.refreshRoute, routes.passwordValidateRoute, routes.resetRequestRoute, routes.resetConfirmRoute, routes.acceptInvitationRoute]) {
  withPolicy(r, { rateLimit: "auth", meter: "api" });
}
withPolicy(routes.jwksRoute, { rateLimit: "none", meter: "none" });

export const authRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(routes.registerRoute, async (c) => c.json(deliver(c, await service.register(c.env, c.req.valid("json"))), 201))
  .openapi(routes.loginRoute, async (c) => c.json(deliver(c, await service.login(c.env, c.req.valid("json"))), 200))
  .openapi(routes.refreshRoute, async (c) => {
    const fromBody = (c.req.valid("json") as { refresh_token?: string } | undefined)?.refresh_token;
    if (wantsCookieSession(c)) {
      assertSameOrigin(c, c.env.PUBLIC_BASE_URL);
      const fromCookie = readRefreshCookie(c);
      if (!fromCookie) throw new AppError("AUTHENTICATION_REQUIRED", "No session cookie; sign in again");
      try {
        return c.json(deliver(c, await rotateRefreshToken(c.env, fromCookie)), 200);
      } catch (err) {
        // A dead cookie is of no further use: drop it so the console goes straight to the sign-in page.
        clearRefreshCookie(c);
        throw err;
      }
    }
    if (!fromBody) throw new AppError("VALIDATION_ERROR", "The request contains invalid data", [{ field: "refresh_token", message: "Required" }]);
    return c.json(await rotateRefreshToken(c.env, fromBody), 200);
  })
  .openapi(routes.meRoute, (c) => {
    const account = c.get("account")!;
    return c.json(presentMe(account.creator, account.member), 200);
  })
  .openapi(routes.logoutRoute, async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { refresh_token?: unknown };
    let refresh = typeof body?.refresh_token === "string" ? body.refresh_token : undefined;
    if (wantsCookieSession(c)) {
      assertSameOrigin(c, c.env.PUBLIC_BASE_URL);
      refresh ??= readRefreshCookie(c);
      clearRefreshCookie(c);
    }
    await service.logout(c.env, c.get("auth")!, refresh);
    return c.body(null, 204);
  })
  .openapi(routes.passwordValidateRoute, (c) => {
    const body = c.req.valid("json");
    return c.json(checkPassword(body.password, { email: body.email, name: body.full_name }), 200);
  })
  .openapi(routes.resetRequestRoute, async (c) => {
    await service.requestPasswordReset(c.env, c.req.valid("json").email);
    return c.json({ message: "If an account exists for this email, a reset link has been sent" }, 202);
  })
  .openapi(routes.resetConfirmRoute, async (c) => {
    const body = c.req.valid("json");
    await service.confirmPasswordReset(c.env, body.token, body.new_password);
    return c.json({ message: "Password changed; every session has been signed out" }, 200);
  })
  .openapi(routes.revokeRoute, async (c) => c.json(await service.revoke(c.env, c.get("auth")!, c.req.valid("json")), 200))
  .openapi(routes.rotateKeysRoute, async (c) => {
    const rotated = await rotateKeys(c.env);
    return c.json({ kid: rotated.kid, retired_kids: rotated.retired }, 200);
  })
  .openapi(routes.jwksRoute, async (c) => {
    c.header("Cache-Control", "public, max-age=60");
    return c.json({ keys: (await publishedKeys(c.env)) as unknown as Record<string, unknown>[] }, 200);
  })
  .openapi(routes.acceptInvitationRoute, async (c) =>
    c.json(deliver(c, await service.acceptInvitation(c.env, c.req.valid("json"))), 200),
  );

/** Sign-in answers in cookie mode: the refresh token into the cookie, out of the body (same-origin only). */
function deliver<T extends { refresh_token: string }>(c: Context<AppBindings>, session: T) {
  if (wantsCookieSession(c)) assertSameOrigin(c, c.env.PUBLIC_BASE_URL);
  return deliverSession(c, session, config(c.env).jwt.refreshTtlDays * 86_400);
}

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { setRefreshCookie } from "./cookie-session";
export { revokeMemberSessions, startSession, authenticateAccessToken, authenticateAccount } from "./login-sessions";
export type { AuthenticatedAccount } from "./login-sessions";
export { verifyPassword } from "./passwords";
export { presentMember, presentCreator } from "./presenters";
export { Timezone, Email, MemberSchema, CreatorSchema } from "./schemas";
export { me } from "./service";
export { signPlatformToken, verifyPlatformToken } from "./tokens";
export type { AccessClaims, Permission } from "./tokens";
