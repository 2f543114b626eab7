// Who holds a conversation socket: stored as the socket's attachment when it is accepted, so it
// survives hibernation. A widget socket is an end user's; an agent socket is a member's.
export type SocketIdentity =
  /** sessionId: the widget session the token was issued for. member: a Socket.IO room's socket (src/realtime/socketio.ts). */
  | { role: "user"; endUserId: string; sessionId: string; epoch: number; member?: SocketMember }
  | { role: "agent"; memberId: string; name: string; /** The member's login session (access token's sid). */ loginSessionId?: string };

/**
 * The member behind a Socket.IO room's user socket: announced to the room's other sockets
 * (user_joined / user_left), and closed with the member's agent sockets when their access ends.
 */
export interface SocketMember {
  id: string;
  name: string;
  /** The access token's login session (sid): a logout closes only that session's sockets. */
  loginSessionId?: string;
}

export type SocketKind = "widget" | "agent";

export type AgentIdentity = Extract<SocketIdentity, { role: "agent" }>;
export type UserIdentity = Extract<SocketIdentity, { role: "user" }>;
