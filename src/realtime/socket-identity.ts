// Who holds a conversation socket: stored as the socket's attachment when it is accepted, so it
// survives hibernation. A widget socket is an end user's; an agent socket is a member's.
export type SocketIdentity =
  /** sessionId: the widget session the token was issued for. */
  | { role: "user"; endUserId: string; sessionId: string; epoch: number }
  | { role: "agent"; memberId: string; name: string; /** The member's login session (access token's sid). */ loginSessionId?: string };

export type SocketKind = "widget" | "agent";

export type AgentIdentity = Extract<SocketIdentity, { role: "agent" }>;
export type UserIdentity = Extract<SocketIdentity, { role: "user" }>;
