// Wires the creators routes to the service.
import { createRouter } from "../../lib/router";
import { getProfileRoute, putProfileRoute } from "./routes";
import { getProfile, updateProfile } from "./service";

export const creatorsRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(getProfileRoute, async (c) => c.json(await getProfile(c.env, c.get("creatorId")!), 200))
  .openapi(putProfileRoute, async (c) => c.json(await updateProfile(c.env, c.get("creatorId")!, c.req.valid("json")), 200));
