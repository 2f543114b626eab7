// Wires the plans routes to the service.
import { createRouter, withPolicy } from "../../lib/router";
import { dashboardRoute, setPlanRoute } from "./routes";
import * as service from "./service";

// The operator's route: the platform's, never a creator's plan.
withPolicy(setPlanRoute, { rateLimit: "default", meter: "none" });

export const plansRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(dashboardRoute, async (c) => c.json(await service.dashboard(c.env, c.get("account")!.creator), 200))
  .openapi(setPlanRoute, async (c) => {
    const body = c.req.valid("json");
    return c.json(await service.setPlan(c.env, c.req.valid("param").creator_id, body.tier, body.overrides), 200);
  });

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { chargeOrThrow } from "./service";
export { reserveGauge, releaseGauge } from "./service";
