// Frames out to a conversation's hibernatable sockets (tagged "user" / "agent" when accepted).
import type { ServerFrame } from "./protocol";

/** Open sockets per role, as the connections list (D1 conversation_presence) shows them. */
export interface Presence {
  userSockets: number;
  agentSockets: number;
}

export function sendFrame(ws: WebSocket, frame: ServerFrame): void {
  try {
    ws.send(JSON.stringify(frame));
  } catch {
    /* the socket closed meanwhile; its close handler cleans up */
  }
}

/** To every socket of the conversation but `except` (typing indicators skip their sender). */
export function broadcastFrame(ctx: DurableObjectState, frame: ServerFrame, except?: WebSocket): void {
  const data = JSON.stringify(frame);
  for (const ws of ctx.getWebSockets()) {
    if (ws === except) continue;
    try {
      ws.send(data);
    } catch {
      /* closing */
    }
  }
}

/** Open sockets per role, leaving out one that is going away. */
export function openSockets(ctx: DurableObjectState, except?: WebSocket): Presence {
  const open = (tag: string) => ctx.getWebSockets(tag).filter((s) => s !== except && s.readyState === WebSocket.OPEN).length;
  return { userSockets: open("user"), agentSockets: open("agent") };
}

/** Closes the given sockets (all of them by default) with a close code the client understands. */
export function closeSockets(sockets: WebSocket[], code: number, reason: string): void {
  for (const ws of sockets) {
    try {
      ws.close(code, reason);
    } catch {
      /* gone */
    }
  }
}
