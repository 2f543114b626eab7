// Who may open a socket on a conversation: the visitor whose widget token names it, or an active
// member of the owning creator with the "conversations" permission (owner, admin, agent). Checked by
// the Worker before the upgrade and again by the conversation's object (wired as its `authorize` port).
import { eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversations } from "../../db/schema";
import type { Env } from "../../env";
import { forbidden, notFound, unauthenticated } from "../../lib/errors";
import { forwardSocket, requireUpgrade, type SocketIdentity, type SocketKind } from "../../realtime";
import { authenticateAccessToken, authenticateAccount } from "../auth";
import { verifyWidgetToken } from "../widget";

export async function authorizeSocket(
  env: Env,
  kind: SocketKind,
  token: string | null,
  conversation: { id: string; creatorId: string },
): Promise<SocketIdentity> {
  if (!token) throw unauthenticated("The 'token' query parameter is required");
  if (kind === "widget") {
    const claims = await verifyWidgetToken(env, token);
    // A token for another conversation gets the same answer as a missing one: existence isn't leaked.
    if (claims.conversation_id !== conversation.id || claims.creator_id !== conversation.creatorId) throw notFound("Conversation");
    return { role: "user", endUserId: claims.sub, sessionId: claims.sid, epoch: claims.kep ?? 0 };
  }
  // One D1 read: the login session is live, the token not revoked, the member active, their current role.
  const { claims, member } = await authenticateAccount(env, token);
  if (claims.creator_id !== conversation.creatorId) throw notFound("Conversation");
  if (!claims.permissions.includes("conversations")) throw forbidden("This action needs the 'conversations' permission");
  return { role: "agent", memberId: claims.sub, name: member.fullName, loginSessionId: claims.sid };
}

/** WS /api/v1/conversations/{id}/connect?token=… — agents (any member with the conversations permission). */
export async function connectAgent(env: Env, request: Request, conversationId: string, token: string | undefined): Promise<Response> {
  requireUpgrade(request);
  if (!token) throw unauthenticated("The 'token' query parameter is required");
  const claims = await authenticateAccessToken(env, token);
  if (!claims.permissions.includes("conversations")) throw forbidden("This action needs the 'conversations' permission");
  const t = tenant(env.DB, claims.creator_id);
  const row = await t.db.select({ id: conversations.id }).from(conversations).where(t.where(conversations, eq(conversations.id, conversationId))).get();
  if (!row) throw notFound("Conversation");
  return forwardSocket(env, request, conversationId, "agent");
}
