// The browser's session: the refresh token in an HttpOnly cookie scoped to the auth routes, so page
// scripts never see it (ai-chat-app-api.md asks for HTTP-only cookies). The access token stays in the
// app's memory. SameSite=Strict keeps other sites from sending it (CSRF); Secure everywhere but a
// plain-http loopback host, where browsers would drop a Secure cookie.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { forbidden } from "../../lib/errors";

export const REFRESH_COOKIE = "ec_refresh";
/** Only the auth routes ever receive the cookie (refresh, logout, the OAuth callback). */
export const REFRESH_COOKIE_PATH = "/api/v1/auth";

function secureFor(c: Context): boolean {
  const url = new URL(c.req.url);
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  return !(loopback && url.protocol === "http:");
}

export function setRefreshCookie(c: Context, refreshToken: string, maxAgeSeconds: number): void {
  setCookie(c, REFRESH_COOKIE, refreshToken, {
    httpOnly: true,
    secure: secureFor(c),
    sameSite: "Strict",
    path: REFRESH_COOKIE_PATH,
    maxAge: maxAgeSeconds,
  });
}

export function readRefreshCookie(c: Context): string | undefined {
  return getCookie(c, REFRESH_COOKIE) || undefined;
}

export function clearRefreshCookie(c: Context): void {
  deleteCookie(c, REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH, secure: secureFor(c), httpOnly: true, sameSite: "Strict" });
}

/**
 * A browser asks for a cookie session with `X-Session: cookie` on login, register, accept-invitation,
 * refresh and logout. A custom header (not a query flag) because a cross-site form or image can't
 * send one, and a cross-site fetch with it needs a CORS preflight our CORS policy doesn't grant.
 */
export const SESSION_HEADER = "X-Session";

export function wantsCookieSession(c: Context): boolean {
  return c.req.header(SESSION_HEADER)?.trim().toLowerCase() === "cookie";
}

/**
 * CSRF guard for cookie-authenticated requests, on top of SameSite=Strict: the browser's Origin must
 * be this Worker's own (or the configured public base URL's). Browsers always send Origin on POST.
 */
export function assertSameOrigin(c: Context, publicBaseUrl: string | undefined): void {
  const origin = c.req.header("Origin");
  const own = new URL(c.req.url).origin;
  let configured: string | undefined;
  try {
    configured = publicBaseUrl ? new URL(publicBaseUrl).origin : undefined;
  } catch {
    configured = undefined;
  }
  if (!origin || (origin !== own && origin !== configured)) {
    throw forbidden("Cookie sessions are only accepted from the console's own origin");
  }
}

interface Pair {
  refresh_token: string;
}

/**
 * Hands a new session to the caller: in cookie mode the refresh token goes into the HttpOnly cookie
 * and out of the JSON body (page scripts never see it); otherwise the body is unchanged.
 */
export function deliverSession<T extends Pair>(c: Context, pair: T, refreshTtlSeconds: number): T | Omit<T, "refresh_token"> {
  if (!wantsCookieSession(c)) return pair;
  setRefreshCookie(c, pair.refresh_token, refreshTtlSeconds);
  const { refresh_token: _hidden, ...rest } = pair;
  return rest;
}
