// A message from the platform side (never the end user): programs, proactive rules, notices and the
// creator API. Idempotent by clientId, shown on every socket, sent out through the channel.
import { newId } from "../lib/ids";
import { messageFrame } from "./ai-reply";
import type { PostInput, PostResult } from "./index";
import type { Room } from "./room";

export async function post(room: Room, input: PostInput): Promise<PostResult> {
  const known = input.clientId ? room.log.byClientId(input.clientId) : null;
  if (known) return { stored: false, messageId: known.id, seq: known.seq, createdAt: known.createdAt };
  const stored = room.appendOutgoing(
    {
      id: newId(),
      sender: input.sender,
      text: input.text,
      ...(input.clientId && { clientId: input.clientId }),
      ...(input.senderId && { senderId: input.senderId }),
      ...(input.senderName && { senderName: input.senderName }),
      ...(input.sources && { sources: input.sources }),
      ...(input.deliveryStatus && { deliveryStatus: input.deliveryStatus }),
      ...(input.metadata && { metadata: input.metadata }),
    },
    input.send ?? true,
  );
  room.broadcast(messageFrame(stored));
  // Callers (REST API, programs) read the message back from D1: it is there when this resolves.
  await room.outbox.flush();
  const bookmark = room.outbox.bookmark;
  return { stored: true, messageId: stored.id, seq: stored.seq, createdAt: stored.createdAt, ...(bookmark && { d1Bookmark: bookmark }) };
}
