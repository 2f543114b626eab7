// Wires the team routes to the service.
import { createRouter, withPolicy } from "../../lib/router";
import { inviteRoute, listRoute, removeRoute, updateRoute } from "./routes";
import * as service from "./service";

// An invitation holds a slot of the plan's team_members gauge until the member row exists (or failed).
withPolicy(inviteRoute, { rateLimit: "default", meter: { gauge: "team_members" } });

export const teamRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(listRoute, async (c) => c.json(await service.listMembers(c.env, c.get("creatorId")!), 200))
  .openapi(inviteRoute, async (c) => c.json(await service.inviteMember(c.env, c.get("auth")!, c.req.valid("json")), 201))
  .openapi(updateRoute, async (c) =>
    c.json(await service.changeRole(c.env, c.get("auth")!, c.req.valid("param").member_id, c.req.valid("json").role), 200),
  )
  .openapi(removeRoute, async (c) => {
    await service.removeMember(c.env, c.get("auth")!, c.req.valid("param").member_id);
    return c.body(null, 204);
  });
