// Rate limits with X-RateLimit-* headers: per client per minute by category (coaching spec), and per
// creator quotas (creator-hub spec). Counting happens in the RateLimiter Durable Object (exact). Which
// category a request falls under is declared with its route (src/lib/router.ts RoutePolicy).
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import type { AppBindings, Env } from "../env";
import { config, type RateRule } from "../config";
import { AppError } from "../lib/errors";
import { sha256Hex } from "../lib/crypto";
import { policyOf } from "../lib/router";
import type { RateCheck, RateResult } from "../../durable-objects/rate-limiter";

export function clientAddress(c: Context): string {
  return c.req.header("CF-Connecting-IP") ?? "unknown";
}

/** The unit one client controls: an IPv4 address, or an IPv6 /64 (one customer's whole subnet). */
export function addressGroup(address: string): string {
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = address.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/**
 * The account an auth request is about, so limits count per (address, account): the email, or for
 * token-bearing requests (refresh, reset confirm, invitations) a hash of the token, so made-up tokens
 * from one address never use up the budget of the real users behind that address.
 */
async function accountOf(c: Context<AppBindings>): Promise<string> {
  try {
    const body = (await c.req.json()) as Record<string, unknown> | null;
    const email = body && typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
    if (email) return email;
    const token = body && (typeof body.refresh_token === "string" ? body.refresh_token : typeof body.token === "string" ? body.token : "");
    return token ? `token:${(await sha256Hex(token)).slice(0, 24)}` : "-";
  } catch {
    return "-";
  }
}

function check(key: string, rule: RateRule): RateCheck {
  return { key, limit: rule.limit, windowSeconds: rule.windowSeconds };
}

async function hit(env: Env, subject: string, checks: RateCheck[]): Promise<RateResult[]> {
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject));
  return stub.hit(checks);
}

export const rateLimit = () =>
  createMiddleware<AppBindings>(async (c, next) => {
    const cfg = config(c.env).rateLimits;
    const policy = policyOf(c.req.method, c.req.path);
    // No declared route (a 404, a static asset) or a route declared unlimited.
    if (!cfg.enabled || !policy || policy.rateLimit === "none") return next();
    const rule = { category: policy.rateLimit, quotas: policy.quotas };

    const claims = c.get("auth");
    let subject: string;
    const checks: RateCheck[] = [];
    if (rule.category === "auth") {
      // Auth routes count by address whatever bearer token comes along: a token (or many) of the
      // attacker's own accounts must not buy fresh buckets. First the address's total across every
      // email (credential stuffing), then the (address, account) pair.
      const group = addressGroup(clientAddress(c));
      const [total] = await hit(c.env, `authaddr:${group}`, [check("client:auth-total", cfg.authPerAddress)]);
      if (total && !total.allowed) throw limited(total);
      subject = `auth:${group}:${await accountOf(c)}`;
      checks.push(check("client:auth", cfg.perClient.auth));
    } else if (claims) {
      // A creator's own API use: per member per minute, and the creator's hourly quotas.
      subject = `creator:${claims.creator_id}`;
      checks.push(check(`member:${claims.sub}:${rule.category}`, cfg.perClient[rule.category]));
      checks.push(check("creator:api", cfg.perCreator.api));
      for (const quota of rule.quotas ?? []) checks.push(check(`creator:${quota}`, cfg.perCreator[quota]));
    } else {
      subject = `client:${clientAddress(c)}`;
      checks.push(check(`client:${rule.category}`, cfg.perClient[rule.category]));
      // Denial of wallet: every widget session is a visitor the AI may answer; one address (IPv6 /64)
      // opens only so many an hour, whichever widget key it names.
      if (c.req.method === "POST" && c.req.path === "/api/v1/channels/sessions") {
        const [opened] = await hit(c.env, `sessions:${addressGroup(clientAddress(c))}`, [check("client:widget-sessions", cfg.widgetSessionsPerAddress)]);
        if (opened && !opened.allowed) throw limited(opened);
      }
    }

    const results = await hit(c.env, subject, checks);
    const denied = results.find((r) => !r.allowed);
    if (denied) throw limited(denied);
    const shown = results.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    await next();
    for (const [k, v] of Object.entries(headersOf(shown))) c.res.headers.set(k, v);
  });

function headersOf(shown: RateResult): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(shown.limit),
    "X-RateLimit-Remaining": String(shown.remaining),
    "X-RateLimit-Reset": String(shown.reset),
  };
}

function limited(denied: RateResult): AppError {
  const retryAfter = Math.max(1, denied.reset - Math.floor(Date.now() / 1000));
  return new AppError("RATE_LIMIT_EXCEEDED", "Too many requests, retry later", [], {
    ...headersOf(denied),
    "Retry-After": String(retryAfter),
  });
}
