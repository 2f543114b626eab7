// Plan limits on the creator's requests (issue 15). What a request spends is the route's declared
// policy (`meter` in createRouter / withPolicy, next to its rate limit): an API call, the route's
// counted limits (AI answers, AI calls, uploads, tasks) charged in the creator's UsageMeter (exact),
// and for a create a reservation of the gauge it grows (knowledge bases, team members, storage), held
// until the create has committed or failed, so two concurrent creates at limit−1 can't both pass.
// A request that fails (4xx/5xx) gets its route's counted limits back; the API call stays counted.
import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../env";
import { policyOf } from "../lib/router";
import { chargeOrThrow, plansEnabled, refund, releaseGauge, reserveGauge } from "../modules/plans/service";

/** Operator and monitoring routes are the platform's, not the creator's. */
const isCreatorApiPath = (path: string) => path.startsWith("/api/") && !path.startsWith("/api/v1/operator/");

export const planQuota = () =>
  createMiddleware<AppBindings>(async (c, next) => {
    const account = c.get("account");
    if (!account || !plansEnabled(c.env) || !isCreatorApiPath(c.req.path)) return next();
    const meter = policyOf(c.req.method, c.req.path)?.meter ?? "api";
    if (meter === "none") return next();
    const { counts = [], gauge } = meter === "api" ? {} : meter;
    const creatorId = account.creator.id;
    const tier = account.creator.subscriptionTier;
    const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
    // Storage: the upload's declared size (the upload route enforces the real byte limits itself).
    const adding = gauge === "storage_bytes" ? Number(c.req.header("Content-Length") ?? 0) || 0 : 1;
    const reservation = gauge ? await reserveGauge(c.env, creatorId, tier, gauge, adding) : null;
    let charged: number | null = null;
    try {
      charged = await chargeOrThrow(c.env, creatorId, tier, ["api_calls" as const, ...counts].map((limit) => ({ limit })), waitUntil);
      await next();
    } finally {
      // The create has committed (the gauge now reads it from D1) or failed: the slot is free either way.
      if (reservation) await releaseGauge(c.env, creatorId, reservation);
      if (charged !== null && counts.length && (c.error !== undefined || c.res.status >= 400)) await refund(c.env, creatorId, counts.map((limit) => ({ limit })), charged);
    }
  });
