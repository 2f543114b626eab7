// Wires the memory store routes to the service.
import { createRouter } from "../../lib/router";
import { deleteMemoriesRoute, deleteMemoryRoute, getMemoriesRoute, storeMemoryRoute } from "./routes";
import { deleteMemories, getMemories, storeMemory } from "./service";

export const memoryStoreRouter = createRouter({ rateLimit: "default", meter: { counts: ["ai_calls"] } })
  .openapi(storeMemoryRoute, async (c) => c.json(await storeMemory(c.env, c.get("creatorId")!, c.req.valid("json")), 201))
  .openapi(getMemoriesRoute, async (c) => c.json(await getMemories(c.env, c.get("creatorId")!, c.req.valid("param").user_id, c.req.valid("query")), 200))
  .openapi(deleteMemoriesRoute, async (c) => c.json(await deleteMemories(c.env, c.get("creatorId")!, c.req.valid("param").user_id, c.req.valid("query")), 200))
  .openapi(deleteMemoryRoute, async (c) => {
    const p = c.req.valid("param");
    return c.json(await deleteMemories(c.env, c.get("creatorId")!, p.user_id, { id: p.memory_id }), 200);
  });

export { recall, remember } from "./service";
export { learnFromTurn, memoryValues } from "./learn";
