// One router factory: every module's OpenAPIHono shares the validation hook that renders our 422, and
// declares the policy of its routes — the rate-limit category, creator quotas, and whether the body
// is JSON (checked once, by the app's jsonBody middleware) or raw (multipart uploads, signed webhook
// bytes). The policy is required where the router is made, so a new route can't fall into a default
// nobody chose; a route that differs from its router says so with `withPolicy()`.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppBindings } from "../env";
import type { CountedLimit, GaugeLimit } from "../config";
import { AppError, type ErrorDetail } from "./errors";

export type RateCategory = "auth" | "uploads" | "chat" | "search" | "default";
export type CreatorQuota = "ai" | "uploads" | "exports";
/**
 * What a creator's request spends of their plan (issue 15): "api" = one API call; an object = one
 * API call plus these counted limits, and a reservation of the gauge for the create; "none" = the
 * platform's routes (operator, webhooks, probes). Declared per router, like the rate limit, so every
 * route of a router (an AI router's new route included) is metered the way its router says.
 */
export type PlanMeter = "api" | "none" | { counts?: CountedLimit[]; gauge?: GaugeLimit };

export interface RoutePolicy {
  /** Per client per minute (coaching spec); "none": health probes, JWKS, platform webhooks. */
  rateLimit: RateCategory | "none";
  /** Creator quotas counted on top of the hourly API-call quota. */
  quotas?: CreatorQuota[];
  /** Plan metering (src/middleware/plan-quota.ts); route-policy.test.ts requires every route to declare it. */
  meter?: PlanMeter;
  /** "raw": the route reads its own body (multipart, signed bytes); default "json". */
  body?: "json" | "raw";
  /** "replica": GET reads go through a D1 session (src/middleware/d1-session.ts; bookmark in X-D1-Bookmark). */
  reads?: "primary" | "replica";
}

interface Issue {
  path: PropertyKey[];
  message: string;
}

export function issuesToDetails(issues: readonly Issue[], target?: string): ErrorDetail[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return { field: path || (target === "json" ? "body" : (target ?? "request")), message: issue.message };
  });
}

const overrides = new WeakMap<object, RoutePolicy>();

/** A route whose policy differs from its router's (declared next to the route). */
export function withPolicy<R extends object>(route: R, policy: RoutePolicy): R {
  overrides.set(route, policy);
  return route;
}

interface Registered {
  method: string;
  pattern: RegExp;
  params: number;
  policy: RoutePolicy;
}

/** Every declared route with its policy, as the routers registered them (at import time). */
const registry: Registered[] = [];

function register(method: string, path: string, policy: RoutePolicy): void {
  const params = (path.match(/\{[^}]+\}/g) ?? []).length;
  const source = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+");
  registry.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), params, policy });
  // Static segments before parameters: /documents/batch is not /documents/{id}.
  registry.sort((a, b) => a.params - b.params);
}

/** The policy of the route a request is for; null when no declared route matches (404, static assets). */
export function policyOf(method: string, path: string): RoutePolicy | null {
  const m = method === "HEAD" ? "GET" : method;
  return registry.find((r) => r.method === m && r.pattern.test(path))?.policy ?? null;
}

/** Every declared route (method, path pattern, policy): for the test that pins the table. */
export function declaredPolicies(): readonly { method: string; pattern: RegExp; policy: RoutePolicy }[] {
  return registry;
}

type JsonContent = { content?: Record<string, { schema?: unknown }> };
type RouteShape = { method: string; path: string; request?: { body?: JsonContent }; responses?: Record<string, JsonContent> };
const tolerant = new WeakSet<object>();

/**
 * A PUT/PATCH accepts the resource's own GET representation: every field of the route's 200 response
 * that its body schema doesn't have (ids, keys, embed code, timestamps, counts …) is read-only —
 * accepted, dropped before the handler sees the body, and marked `readOnly` in the OpenAPI document.
 * Fields that are neither stay a 422 (the body schema keeps its strictness). Applied to every PUT and
 * PATCH route by the router factory, so no route has to remember it.
 */
export function acceptRepresentation(route: RouteShape): void {
  if (tolerant.has(route) || !["put", "patch"].includes(route.method.toLowerCase())) return;
  tolerant.add(route);
  const body = route.request?.body?.content?.["application/json"];
  const response = route.responses?.["200"]?.content?.["application/json"]?.schema;
  if (!body || !(body.schema instanceof z.ZodObject) || !(response instanceof z.ZodObject)) return;
  const update = body.schema as z.ZodObject;
  const readOnly = Object.keys(response.shape).filter((k) => !(k in update.shape));
  if (!readOnly.length) return;
  const extra = Object.fromEntries(
    readOnly.map((k) => [k, z.unknown().optional().openapi({ readOnly: true, description: "Read-only (as GET returns it): accepted and ignored" })]),
  );
  body.schema = update.safeExtend(extra).transform((value) => {
    const out: Record<string, unknown> = { ...value };
    for (const k of readOnly) delete out[k];
    return out;
  });
}

export function createRouter(policy: RoutePolicy) {
  const router = new OpenAPIHono<AppBindings>({
    defaultHook: (result) => {
      if (!result.success) {
        const target = (result as { target?: string }).target;
        throw new AppError("VALIDATION_ERROR", "The request contains invalid data", issuesToDetails(result.error.issues, target));
      }
    },
  });
  const openapi = router.openapi.bind(router);
  router.openapi = ((route: RouteShape, ...rest: unknown[]) => {
    register(route.method, route.path, overrides.get(route) ?? policy);
    acceptRepresentation(route);
    return (openapi as (...args: unknown[]) => unknown)(route, ...rest);
  }) as typeof router.openapi;
  return router;
}

export type Router = ReturnType<typeof createRouter>;
