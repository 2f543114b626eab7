// Who may open a socket on a conversation: the visitor whose widget token names it, or an active
// member of the owning creator with the "conversations" permission (owner, admin, agent).
import type { Env } from "../env";
import { forbidden, notFound, unauthenticated } from "../lib/errors";
import { authenticateAccessToken } from "../modules/auth/sessions";
import { verifyWidgetToken } from "../modules/widget/tokens";
import { memberName } from "./handover";

export type SocketIdentity =
  | { role: "user"; endUserId: string; sessionId: string; epoch: number }
  | { role: "agent"; memberId: string; name: string };

export type SocketKind = "widget" | "agent";

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
  const claims = await authenticateAccessToken(env, token);
  if (claims.creator_id !== conversation.creatorId) throw notFound("Conversation");
  if (!claims.permissions.includes("conversations")) throw forbidden("This action needs the 'conversations' permission");
  const name = await memberName(env, claims.creator_id, claims.sub);
  if (!name) throw unauthenticated("Account is not active");
  return { role: "agent", memberId: claims.sub, name };
}
