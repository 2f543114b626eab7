// The Worker side of the live inbox: the object of a creator, the members' WebSocket connect, and
// the conversation events of the activity stream turned into inbox events (message previews).
import { INBOX_MEMBER_HEADER, type InboxEvent } from "../../../durable-objects/inbox";
import type { Env } from "../../env";
import { AppError, forbidden, unauthenticated } from "../../lib/errors";
import { authenticateAccessToken } from "../auth";

const PREVIEW_CHARS = 140;

export function inboxStub(env: Env, creatorId: string) {
  return env.INBOX.get(env.INBOX.idFromName(creatorId));
}

/** WS /api/v1/inbox/connect?token=…[&after_seq=n] — members with the conversations permission. */
export async function connectInbox(env: Env, request: Request, token: string | undefined): Promise<Response> {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") throw new AppError("MALFORMED_REQUEST", "Expected a WebSocket upgrade (Upgrade: websocket)");
  if (!token) throw unauthenticated("The 'token' query parameter is required");
  const claims = await authenticateAccessToken(env, token);
  if (!claims.permissions.includes("conversations")) throw forbidden("This action needs the 'conversations' permission");
  const headers = new Headers(request.headers);
  headers.set(INBOX_MEMBER_HEADER, claims.sub);
  return inboxStub(env, claims.creator_id).fetch(new Request(request.url, { method: "GET", headers }));
}

/** Which activity events the inbox shows, and how (messages as a preview, not the whole text). */
const SHOWN = new Set(["conversation.created", "message.received", "message.sent", "conversation.status_changed", "conversation.agent_joined", "conversation.agent_left", "rating.received"]);

export function inboxEvents(events: { type: string; data: Record<string, unknown>; createdAt: string }[]): InboxEvent[] {
  return events
    .filter((e) => SHOWN.has(e.type))
    .map((e) => {
      if (e.type !== "message.received" && e.type !== "message.sent") return { type: e.type, data: e.data, at: e.createdAt };
      const { text, ...rest } = e.data as { text?: string };
      return { type: "message.created", data: { ...rest, preview: String(text ?? "").slice(0, PREVIEW_CHARS) }, at: e.createdAt };
    });
}
