// Wires the oauth routes: the cookie and redirect plumbing here, the protocol in provider.ts, accounts in service.ts.
import { config } from "../../config";
import { DAY } from "../../lib/clock";
import { unauthenticated } from "../../lib/errors";
import { createRouter } from "../../lib/router";
import { setRefreshCookie } from "../auth";
import { setFlowCookie, takeFlowCookie } from "./flow-cookie";
import { finishAuthorization, providerSettings, startAuthorization, type Provider } from "./provider";
import { callbackRoute, loginRoute, successRedirectRoute, validateTokenRoute } from "./routes";
import { redeemTicket, signInWithIdentity } from "./service";

const DEFAULT_LANDING = "/app/";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

// Sign-in redirects and ticket redemption: the strict "auth" limit, like the password routes.
export const oauthRouter = createRouter({ rateLimit: "auth", meter: "api" })
  .openapi(loginRoute, async (c) => {
    const { provider } = c.req.valid("param");
    providerSettings(c.env, provider);
    const query = c.req.valid("query");
    const start = await startAuthorization(c.env, provider as Provider, query.login_hint);
    await setFlowCookie(c, { provider, state: start.state, nonce: start.nonce, codeVerifier: start.codeVerifier, redirectTo: query.redirect_to ?? DEFAULT_LANDING });
    return c.redirect(start.url, 302);
  })
  .openapi(callbackRoute, async (c) => {
    const { provider } = c.req.valid("param");
    providerSettings(c.env, provider);
    const query = c.req.valid("query");
    const flow = await takeFlowCookie(c);
    if (query.error) throw unauthenticated(`The sign-in was not completed at the provider (${query.error})`);
    // state ties the callback to the browser that started it (login CSRF); compared to the sealed cookie.
    if (!query.code || !query.state || flow.provider !== provider || query.state !== flow.state) {
      throw unauthenticated("The sign-in response does not match the sign-in that was started");
    }
    const identity = await finishAuthorization(c.env, provider as Provider, query.code, flow.codeVerifier, flow.nonce);
    const { ticket } = await signInWithIdentity(c.env, provider as Provider, identity, flow.redirectTo);
    return c.redirect(`/api/v1/auth/login-success-redirect?token=${encodeURIComponent(ticket)}`, 302);
  })
  .openapi(successRedirectRoute, (c) => {
    const next = `/api/v1/auth/validate-token?token=${encodeURIComponent(c.req.valid("query").token)}`;
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    // A same-site page navigates on, so the SameSite=Strict refresh cookie is set and later sent
    // (a cookie set at the end of the provider's cross-site redirect chain would not be).
    return c.html(
      `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escapeHtml(next)}"><title>Signing in…</title><p>Signing in… <a href="${escapeHtml(next)}">Continue</a></p>`,
      200,
    );
  })
  .openapi(validateTokenRoute, async (c) => {
    const { tokens, redirectTo, creator } = await redeemTicket(c.env, c.req.valid("query").token);
    setRefreshCookie(c, tokens.refresh_token, config(c.env).jwt.refreshTtlDays * (DAY / 1000));
    c.header("Cache-Control", "no-store");
    if ((c.req.header("Accept") ?? "").includes("application/json")) {
      return c.json({ access_token: tokens.access_token, token_type: "bearer" as const, expires_in: tokens.expires_in, redirect_to: redirectTo, creator }, 200);
    }
    return c.redirect(redirectTo, 302);
  });
