// Outgoing messages of channel conversations (Telegram, WhatsApp): each is stored "queued" with its
// send owed in the same write, so an eviction can't lose the send; the outbox enqueues it once D1
// has the message. Widget conversations have nothing to send out: the sockets are the delivery.
import type { ConversationState, MessageLog, StoredMessage } from "./log";
import { sendsThroughChannel } from "./user-message";

export type OutgoingInput = Parameters<MessageLog["append"]>[0];

/** Appends a non-user message; `send: false` stores it without queueing a send (tests deliver by hand). */
export function appendOutgoing(log: MessageLog, state: ConversationState, input: OutgoingInput, send = true): StoredMessage {
  if (!sendsThroughChannel(state)) return log.append(input);
  const deliveryStatus = input.deliveryStatus ?? "queued";
  const metadata = { parts_sent: 0, ...input.metadata };
  return log.append({ ...input, deliveryStatus, metadata }, { send: send && deliveryStatus === "queued" });
}
