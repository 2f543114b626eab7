// Plan limits on the creator's requests (issue 15): counts API calls and the route's metered limits
// in the creator's UsageMeter (exact), checks gauges before creates, and answers 429 naming the limit.
import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../env";
import { METERED_ROUTES, isCreatorApiPath } from "../modules/plans/metered-routes";
import { assertGauge, chargeOrThrow, plansEnabled } from "../modules/plans/service";

export const planQuota = () =>
  createMiddleware<AppBindings>(async (c, next) => {
    const account = c.get("account");
    if (!account || !plansEnabled(c.env) || !isCreatorApiPath(c.req.path)) return next();
    const route = METERED_ROUTES.find((r) => r.match(c.req.method, c.req.path));
    const creatorId = account.creator.id;
    const tier = account.creator.subscriptionTier;
    if (route?.gauge) {
      // Storage: the upload's declared size (the upload route enforces the real byte limits itself).
      const adding = route.gauge === "storage_bytes" ? Number(c.req.header("Content-Length") ?? 0) || 0 : 1;
      await assertGauge(c.env, creatorId, tier, route.gauge, adding);
    }
    const counts = ["api_calls" as const, ...(route?.counts ?? [])];
    await chargeOrThrow(c.env, creatorId, tier, counts.map((limit) => ({ limit })), (p) => c.executionCtx.waitUntil(p));
    await next();
  });
