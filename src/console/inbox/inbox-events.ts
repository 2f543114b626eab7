// What a live inbox frame means for the console (pure, unit-tested): which cached queries it makes
// stale, whether it is a handover that must pull attention, and the reconnect backoff.

export interface InboxFrame {
  type: string;
  seq?: number;
  event?: string;
  data?: Record<string, unknown>;
  last_seq?: number;
}

type Key = readonly unknown[];

/** TanStack Query keys to invalidate for one frame. */
export function invalidationsFor(f: InboxFrame): Key[] {
  if (f.type === "resume_gap") return [["conversations"], ["notifications"], ["analytics"]];
  if (f.type !== "event" || !f.event) return [];
  if (f.event === "notification") return [["notifications"]];
  const id = typeof f.data?.conversation_id === "string" ? f.data.conversation_id : null;
  // Prefix keys: ["conversations","list",…] and ["conversations","count",…] refresh, not every thread.
  const lists: Key[] = [["conversations", "list"], ["conversations", "count"], ["conversations", "recent"]];
  if (f.event === "message.created") return id ? [...lists, ["conversations", id, "messages"]] : lists;
  if (f.event.startsWith("conversation.")) return id ? [...lists, ["conversations", id]] : lists;
  if (f.event === "rating.received") return [["analytics"]];
  return [];
}

/** A conversation just started waiting for a human. */
export function isHandover(f: InboxFrame): boolean {
  return f.type === "event" && f.event === "conversation.status_changed" && f.data?.status === "waiting_human" && f.data?.previous_status !== "waiting_human";
}

/** 1 s, 2 s, 4 s … capped at 15 s. */
export function nextDelay(attempt: number): number {
  return Math.min(15_000, 1000 * 2 ** Math.min(attempt, 4));
}

/** Closes after which reconnecting is pointless: we left (1000), or the server refused us (44xx: signed out, removed, not found). */
export const shouldReconnect = (code: number) => code !== 1000 && !(code >= 4400 && code < 4500);