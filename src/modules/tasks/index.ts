// Wires the tasks routes to the service.
import { createRouter, withPolicy } from "../../lib/router";
import { analyzeRoute, cancelRoute, listRoute, researchRoute, resultsRoute, statusRoute } from "./routes";
import * as service from "./service";

export { TaskWorkflow } from "./workflow";

// Starting a task spends one of the plan's tasks (given back if it could not be started).
for (const r of [analyzeRoute, researchRoute]) withPolicy(r, { rateLimit: "default", meter: { counts: ["tasks"] } });

export const tasksRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(analyzeRoute, async (c) => {
    const a = c.get("account")!;
    const who = { creatorId: a.creator.id, memberId: a.member.id, tier: a.creator.subscriptionTier };
    return c.json(await service.startAnalysis(c.env, who, c.req.valid("json"), (p) => c.executionCtx.waitUntil(p)), 202);
  })
  .openapi(researchRoute, async (c) => {
    const a = c.get("account")!;
    const who = { creatorId: a.creator.id, memberId: a.member.id, tier: a.creator.subscriptionTier };
    return c.json(await service.startResearch(c.env, who, c.req.valid("json"), (p) => c.executionCtx.waitUntil(p)), 202);
  })
  .openapi(listRoute, async (c) => c.json(await service.listTasks(c.env, c.get("creatorId")!), 200))
  .openapi(statusRoute, async (c) => c.json(service.statusView(await service.getTask(c.env, c.get("creatorId")!, c.req.valid("param").task_id)), 200))
  .openapi(resultsRoute, async (c) => c.json(await service.taskResults(c.env, c.get("creatorId")!, c.req.valid("param").task_id), 200))
  .openapi(cancelRoute, async (c) => c.json(await service.cancelTask(c.env, c.get("creatorId")!, c.req.valid("param").task_id), 200));
