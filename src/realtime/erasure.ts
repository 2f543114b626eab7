// GDPR erasure of one conversation object: every socket closed, every byte of its storage deleted.
// The caller (src/modules/gdpr, src/modules/users) has already erased or is erasing the D1 rows, so
// the object can't bind again afterwards: its next bind finds no conversation and answers 404.
import type { ConversationState } from "./log";
import { closeSockets } from "./sockets";

/** 4404: the conversation no longer exists (a client must not reconnect). */
export const ERASED_CLOSE_CODE = 4404;

export async function eraseConversationStorage(
  ctx: DurableObjectState,
  state: ConversationState | null,
  conversationId: string,
  creatorId: string,
): Promise<{ erased: boolean; sockets_closed: number }> {
  // Another creator's conversation is left alone (tenancy), whatever the caller asked.
  if (state && (state.conversationId !== conversationId || state.creatorId !== creatorId)) return { erased: false, sockets_closed: 0 };
  const sockets = ctx.getWebSockets();
  closeSockets(sockets, ERASED_CLOSE_CODE, "Conversation erased");
  await ctx.storage.deleteAlarm();
  await ctx.storage.deleteAll();
  return { erased: true, sockets_closed: sockets.length };
}
