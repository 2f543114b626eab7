// Wires the GDPR routes to the service.
import { createRouter, withPolicy } from "../../lib/router";
import { deletionRoute, deletionStatusRoute, exportRoute } from "./routes";
import * as service from "./service";

withPolicy(exportRoute, { rateLimit: "default", quotas: ["exports"], meter: "api" });

export const gdprRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(exportRoute, async (c) => {
    c.header("Content-Disposition", 'attachment; filename="edgecoach-export.json"');
    return c.json(await service.exportCreatorData(c.env, c.get("creatorId")!), 200);
  })
  .openapi(deletionRoute, async (c) => c.json(await service.requestDeletion(c.env, c.get("auth")!, c.req.valid("json").password), 202))
  .openapi(deletionStatusRoute, async (c) => c.json(await service.deletionStatus(c.env, c.req.valid("param").request_id), 200));

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { eraseConversationObjects } from "./service";
