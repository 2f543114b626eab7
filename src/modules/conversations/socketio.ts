// GET /socket.io/ (ai-chat-app-api.md "Socket.IO Real-Time APIs"): the platform side of the Socket.IO
// sessions in src/realtime/socketio.ts — the handshake token checked as the REST bearer is, rooms
// that are the creator's own "api" conversations, and the one-time ticket that opens a room's
// conversation socket (the same user socket the widget gets, so ack, streaming and AI reply match).
import { createRoute, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversations } from "../../db/schema";
import type { Env } from "../../env";
import { forbidden, notFound, unauthenticated } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { createRouter } from "../../lib/router";
import { errorResponses } from "../../lib/schemas";
import { acceptSocketIo, conversationStub, forwardSocket, type SocketIoAuth, type SocketIoPorts } from "../../realtime";
import { authenticateAccount } from "../auth";
import { upsertEndUser } from "../channels";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The member's own end-user record on the api channel: the "user" of their Socket.IO rooms. */
async function memberEndUser(env: Env, auth: SocketIoAuth): Promise<string> {
  const user = await upsertEndUser(env, { creatorId: auth.creatorId, channel: "api", user: { externalId: `member:${auth.memberId}`, name: auth.name }, active: true });
  return user.id;
}

export function socketIoPorts(env: Env): SocketIoPorts {
  return {
    async authenticate(token) {
      if (!token) throw unauthenticated("Put the access token in the handshake: io(url, { auth: { token } })");
      // Live checks (login session, revocation, member active), exactly as the REST bearer.
      const { claims, member } = await authenticateAccount(env, token);
      if (!claims.permissions.includes("conversations")) throw forbidden("This action needs the 'conversations' permission");
      return { creatorId: claims.creator_id, memberId: claims.sub, name: member.fullName, loginSessionId: claims.sid };
    },
    async createRoom(auth, input) {
      const t = tenant(env.DB, auth.creatorId);
      const endUserId = await memberEndUser(env, auth);
      const id = newId();
      await t.db
        .insert(conversations)
        .values({ id, creatorId: t.creatorId, endUserId, channel: "api", metadata: { via: "socket.io", ...(input.title && { title: input.title }) } })
        .run();
      return { roomId: id };
    },
    async openRoom(auth, roomId, sessionId) {
      // Another creator's room, a widget or channel conversation, or no such id: the same 404.
      if (!UUID.test(roomId)) throw notFound("Room");
      const t = tenant(env.DB, auth.creatorId);
      const row = await t.db
        .select({ endUserId: conversations.endUserId })
        .from(conversations)
        .where(t.where(conversations, and(eq(conversations.id, roomId), eq(conversations.channel, "api"))))
        .get();
      if (!row) throw notFound("Room");
      const endUserId = row.endUserId ?? (await memberEndUser(env, auth));
      // The token was checked live just now; the ticket is one use, seconds long. Its epoch is not a
      // widget key's: these sockets belong to an access token, not to the widget key rotation.
      const { ticket } = await conversationStub(env, roomId).issueWidgetTicket(roomId, auth.creatorId, {
        role: "user",
        endUserId,
        sessionId: `sio:${sessionId}`,
        epoch: Number.MAX_SAFE_INTEGER,
        // Announced to the room's other sockets, and closed at once when the member's access ends.
        member: { id: auth.memberId, name: auth.name, ...(auth.loginSessionId && { loginSessionId: auth.loginSessionId }) },
      });
      const res = await forwardSocket(env, new Request(`https://socket.io.internal/connect?ticket=${encodeURIComponent(ticket)}`, { headers: { Upgrade: "websocket" } }), roomId, "widget");
      return res.webSocket!;
    },
  };
}

const socketIoRoute = (path: string) =>
  createRoute({
    method: "get",
    path,
    tags: ["Socket.IO"],
    summary:
      "Socket.IO v5 over the WebSocket transport (?EIO=4&transport=websocket; no long-polling). Namespace /assistant/realtime, auth { token }: create_room, join_room {room_id, after_seq?}, leave_room, send_message {room_id, message, client_id?} → room_created, room_joined, message_received, message_delta, user_joined, user_left, error",
    request: { query: z.object({ EIO: z.string().optional(), transport: z.string().optional() }) },
    responses: { 101: { description: "Switching protocols" }, ...errorResponses(400, 429) },
  });

// A socket is chat traffic, like the widget's and the agents'.
export const socketIoRouter = createRouter({ rateLimit: "chat", meter: "api" })
  .openapi(socketIoRoute("/socket.io/"), (c) => acceptSocketIo(c.req.raw, socketIoPorts(c.env)) as never)
  .openapi(socketIoRoute("/socket.io"), (c) => acceptSocketIo(c.req.raw, socketIoPorts(c.env)) as never);
