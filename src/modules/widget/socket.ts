// The Worker side of the widget's WebSocket connect: the token is checked (standard HTTP errors
// before any upgrade, revocation included), then the upgrade goes to the conversation's object,
// which checks the token again and accepts.
import type { Env } from "../../env";
import { notFound, unauthenticated } from "../../lib/errors";
import { forwardSocket, parseWidgetTicket, requireUpgrade } from "../../realtime";
import { verifyLiveWidgetToken } from "./revocation";
import { assertOriginAllowed } from "./service";

export const widgetSocketPath = (creatorId: string) => `/api/v1/channels/widget/${creatorId}/connect`;

/**
 * WS /api/v1/channels/widget/{creator_id}/connect?ticket=… (the widget) or ?token=… (API clients) —
 * the visitor's tabs. A ticket was issued for a live widget token seconds ago and is redeemed, once,
 * by the conversation's object; a token is checked here and again there.
 */
export async function connectWidget(env: Env, request: Request, creatorId: string, cred: { ticket?: string; token?: string }): Promise<Response> {
  requireUpgrade(request);
  if (cred.ticket) {
    const named = parseWidgetTicket(cred.ticket);
    if (!named) throw unauthenticated("The ticket is invalid, used or expired");
    if (named.creatorId !== creatorId) throw notFound("Conversation");
    await assertOriginAllowed(env, creatorId, request.headers.get("Origin"));
    return forwardSocket(env, request, named.conversationId, "widget");
  }
  const token = cred.token;
  if (!token) throw unauthenticated("The 'token' query parameter is required");
  // Revocation (ended session, rotated key) is checked here, once per connect; the object re-checks the rest.
  const claims = await verifyLiveWidgetToken(env, token);
  if (claims.creator_id !== creatorId) throw notFound("Conversation");
  // The same pages as the session: a token lifted from an allowed site can't chat from another.
  await assertOriginAllowed(env, creatorId, request.headers.get("Origin"));
  return forwardSocket(env, request, claims.conversation_id, "widget");
}
