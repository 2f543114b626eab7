// Wires the api-keys routes to the service.
import { createRouter } from "../../lib/router";
import { createKeyRoute, listKeysRoute, revokeKeyRoute } from "./routes";
import * as service from "./service";

export const apiKeysRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(createKeyRoute, async (c) => c.json(await service.createApiKey(c.env, c.get("auth")!, c.req.valid("json")), 201))
  .openapi(listKeysRoute, async (c) => c.json(await service.listApiKeys(c.env, c.get("creatorId")!), 200))
  .openapi(revokeKeyRoute, async (c) => {
    await service.revokeApiKey(c.env, c.get("creatorId")!, c.req.valid("param").id);
    return c.body(null, 204);
  });
