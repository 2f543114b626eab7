// The Worker side of a WebSocket connect: check the token (standard HTTP errors before any upgrade),
// then hand the request to the conversation's Durable Object, which checks it again and accepts.
import { CONVERSATION_HEADER, SOCKET_KIND_HEADER } from "../../durable-objects/conversation";
import { eq } from "drizzle-orm";
import { tenant } from "../db/client";
import { conversations } from "../db/schema";
import type { Env } from "../env";
import { AppError, forbidden, notFound, unauthenticated } from "../lib/errors";
import { authenticateAccessToken } from "../modules/auth/sessions";
import { verifyLiveWidgetToken } from "../modules/widget/revocation";
import type { SocketKind } from "./authorize";

export function conversationStub(env: Env, conversationId: string) {
  return env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
}

function requireUpgrade(request: Request): void {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError("MALFORMED_REQUEST", "Expected a WebSocket upgrade (Upgrade: websocket)");
  }
}

async function forward(env: Env, request: Request, conversationId: string, kind: SocketKind): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set(CONVERSATION_HEADER, conversationId);
  headers.set(SOCKET_KIND_HEADER, kind);
  const res = await conversationStub(env, conversationId).fetch(new Request(request.url, { method: "GET", headers }));
  if (res.status === 101) return res;
  // The object refused after our own check passed (a race with archiving or deletion).
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const code = (body?.error?.code ?? "INTERNAL_SERVER_ERROR") as ConstructorParameters<typeof AppError>[0];
  throw new AppError(code, body?.error?.message ?? "Connection refused");
}

/** WS /api/v1/channels/widget/{creator_id}/connect?token=… — the visitor's tabs. */
export async function connectWidget(env: Env, request: Request, creatorId: string, token: string | undefined): Promise<Response> {
  requireUpgrade(request);
  if (!token) throw unauthenticated("The 'token' query parameter is required");
  // Revocation (ended session, rotated key) is checked here, once per connect; the object re-checks the rest.
  const claims = await verifyLiveWidgetToken(env, token);
  if (claims.creator_id !== creatorId) throw notFound("Conversation");
  return forward(env, request, claims.conversation_id, "widget");
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
  return forward(env, request, conversationId, "agent");
}
