// The thread as pure data: messages merged by seq, whatever order the REST pages and frames arrive in.
import type { StoredMessage } from "../api/types";

/** Adds or replaces messages by seq, keeping the thread in order (frames can repeat after a resume). */
export function mergeMessages(current: StoredMessage[], incoming: StoredMessage[]): StoredMessage[] {
  const bySeq = new Map(current.map((m) => [m.seq, m]));
  for (const m of incoming) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
