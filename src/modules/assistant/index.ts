// Wires the assistant persona routes to the service.
import { createRouter } from "../../lib/router";
import { getPersonaRoute, putPersonaRoute } from "./routes";
import { getPersona, updatePersona } from "./service";

export const assistantRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(getPersonaRoute, async (c) => c.json(await getPersona(c.env, c.get("creatorId")!), 200))
  .openapi(putPersonaRoute, async (c) => c.json(await updatePersona(c.env, c.get("creatorId")!, c.req.valid("json")), 200));

export { getPersona, personaFromSettings } from "./service";
export type { Persona } from "./schemas";

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { DEFAULT_ASSISTANT_NAME } from "./service";
