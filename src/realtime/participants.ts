// Who is in a room, as Socket.IO clients see it (issue 14): a member's first user socket in the
// conversation announces them to every other socket (user_joined); their last one going away says
// they left (user_left). Per member, not per socket: a second session of the same member, or a
// reconnect whose new socket arrives before the old one has gone, announces nothing; a reconnect
// after the old socket closed is a leave and then a join, because for that moment they were gone.
import type { LeaveReason, Participant } from "./protocol";
import type { Room } from "./room";
import type { SocketMember, UserIdentity } from "./socket-identity";

/**
 * Sockets already announced as gone: a revoked socket is handled when it is closed, and its close
 * may be delivered again (webSocketClose) — one user_left either way.
 */
const departed = new WeakSet<WebSocket>();

const participant = (m: SocketMember): Participant => ({ id: m.id, name: m.name, role: "user" });

/** Whether the member holds another open user socket in the conversation. */
function stillHere(room: Room, memberId: string, except: WebSocket): boolean {
  return room.sockets("user").some((s) => s !== except && s.readyState === WebSocket.OPEN && (s.deserializeAttachment() as UserIdentity | null)?.member?.id === memberId);
}

/** A user socket was accepted: its member is announced to the others (never to itself) unless already here. */
export function participantJoined(room: Room, ws: WebSocket, who: UserIdentity): void {
  if (!who.member || stillHere(room, who.member.id, ws)) return;
  room.broadcast({ type: "user_joined", user: participant(who.member) }, ws);
}

/** A user socket went away: its member's last one tells the others they left. */
export function participantLeft(room: Room, ws: WebSocket, who: UserIdentity, reason: LeaveReason): void {
  if (!who.member || departed.has(ws)) return;
  departed.add(ws);
  if (stillHere(room, who.member.id, ws)) return;
  room.broadcast({ type: "user_left", user: participant(who.member), reason }, ws);
}
