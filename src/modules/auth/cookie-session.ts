// The browser's session: the refresh token in an HttpOnly cookie scoped to the auth routes, so page
// scripts never see it (ai-chat-app-api.md asks for HTTP-only cookies). The access token stays in the
// app's memory. SameSite=Strict keeps other sites from sending it (CSRF); Secure everywhere but a
// plain-http loopback host, where browsers would drop a Secure cookie.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

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
