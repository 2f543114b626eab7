// Wires the auth routes to the services.
import { createRouter, withPolicy } from "../../lib/router";
import { checkPassword } from "./passwords";
import { presentMe } from "./presenters";
import { publishedKeys, rotateKeys } from "./keys";
import { rotateRefreshToken } from "./sessions";
import * as routes from "./routes";
import * as service from "./service";

// Brute-forceable routes (guessing passwords, tokens or accounts) get the strict "auth" limit; the
// public key set is unlimited (every verifier fetches it).
for (const r of [routes.registerRoute, routes.loginRoute, routes.refreshRoute, routes.passwordValidateRoute, routes.resetRequestRoute, routes.resetConfirmRoute, routes.acceptInvitationRoute]) {
  withPolicy(r, { rateLimit: "auth" });
}
withPolicy(routes.jwksRoute, { rateLimit: "none" });

export const authRouter = createRouter({ rateLimit: "default" })
  .openapi(routes.registerRoute, async (c) => c.json(await service.register(c.env, c.req.valid("json")), 201))
  .openapi(routes.loginRoute, async (c) => c.json(await service.login(c.env, c.req.valid("json")), 200))
  .openapi(routes.refreshRoute, async (c) => c.json(await rotateRefreshToken(c.env, c.req.valid("json").refresh_token), 200))
  .openapi(routes.meRoute, (c) => {
    const account = c.get("account")!;
    return c.json(presentMe(account.creator, account.member), 200);
  })
  .openapi(routes.logoutRoute, async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { refresh_token?: unknown };
    const refresh = typeof body?.refresh_token === "string" ? body.refresh_token : undefined;
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
    c.json(await service.acceptInvitation(c.env, c.req.valid("json")), 200),
  );
