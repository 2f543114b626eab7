// The agent's side of the conversation WebSocket: connecting joins the conversation; frames in are
// merged into the thread by seq; replies, release and resolve go out as protocol frames. A dropped
// socket reconnects with backoff and resumes after the last seq the thread has (nothing lost, and
// the thread's merge by seq makes a replayed message replace itself, never double).
import { useCallback, useEffect, useRef, useState } from "react";
import { freshToken } from "../api/client";
import { nextDelay, shouldReconnect } from "./inbox-events";
import type { Source, StoredMessage } from "../api/types";

export type HandoverState = "ai" | "waiting" | "agent";

interface Frame {
  type: string;
  [key: string]: unknown;
}

export interface SocketState {
  connected: boolean;
  handover: HandoverState | null;
  status: string | null;
  typing: string | null;
  error: string | null;
  /** The socket dropped and a new one is on its way. */
  reconnecting: boolean;
}


function frameToMessage(f: Frame): StoredMessage {
  return {
    id: String(f.id),
    seq: Number(f.seq),
    sender: f.sender as StoredMessage["sender"],
    sender_name: (f.senderName as string | undefined) ?? null,
    text: String(f.text ?? ""),
    sources: (f.sources as Source[] | undefined) ?? null,
    // Frames spell the file's fields as the protocol does (contentType, url); REST as content_type, download_url.
    attachments: ((f.attachments as { id: string; name: string; contentType: string; size: number; url: string }[] | undefined) ?? []).map((a) => ({
      id: a.id,
      name: a.name,
      content_type: a.contentType,
      size: a.size,
      download_url: a.url,
    })),
    created_at: String(f.createdAt ?? new Date().toISOString()),
  };
}

/** `lastSeq`: the highest seq the thread holds (REST history and frames); every (re)connect resumes after it. */
export function useConversationSocket(conversationId: string, onMessages: (m: StoredMessage[]) => void, onEvent: () => void, lastSeq: () => number) {
  const ws = useRef<WebSocket | null>(null);
  const [state, setState] = useState<SocketState>({ connected: false, handover: null, status: null, typing: null, error: null, reconnecting: false });
  const handlers = useRef({ onMessages, onEvent, lastSeq });
  handlers.current = { onMessages, onEvent, lastSeq };
  /** The agent wants to be in the conversation (joined and not left): a drop reconnects. */
  const wanted = useRef(false);
  const attempt = useRef(0);
  const retry = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const leave = useCallback(() => {
    wanted.current = false;
    clearTimeout(retry.current);
    ws.current?.close(1000, "left");
    ws.current = null;
    setState((s) => ({ ...s, connected: false, typing: null, reconnecting: false }));
  }, []);

  useEffect(() => leave, [conversationId, leave]);

  const join = useCallback(async () => {
    wanted.current = true;
    await open();
  }, [conversationId]);

  const open = async (): Promise<void> => {
    if (ws.current || !wanted.current) return;
    const token = await freshToken();
    if (!wanted.current) return;
    if (!token) {
      retry.current = setTimeout(() => void open(), nextDelay(attempt.current++));
      return;
    }
    const url = new URL(`/api/v1/conversations/${conversationId}/connect`, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", token);
    const socket = new WebSocket(url);
    ws.current = socket;
    socket.onmessage = (ev) => {
      const f = JSON.parse(String(ev.data)) as Frame;
      switch (f.type) {
        case "connection_established":
          attempt.current = 0;
          setState((s) => ({ ...s, connected: true, reconnecting: false, handover: f.handover as HandoverState, status: String(f.status), error: null }));
          // Whatever was written while we were away (or since the history was read) comes next.
          socket.send(JSON.stringify({ type: "resume", afterSeq: handlers.current.lastSeq() }));
          break;
        case "message":
          handlers.current.onMessages([frameToMessage(f)]);
          break;
        case "typing_start":
          if (f.sender === "user") setState((s) => ({ ...s, typing: "The visitor is typing…" }));
          break;
        case "typing_stop":
          if (f.sender === "user") setState((s) => ({ ...s, typing: null }));
          break;
        case "agent_joined":
          setState((s) => ({ ...s, handover: "agent" }));
          handlers.current.onEvent();
          break;
        case "agent_left":
          setState((s) => ({ ...s, handover: "ai" }));
          handlers.current.onEvent();
          break;
        case "handover_initiated":
          setState((s) => ({ ...s, handover: "waiting" }));
          handlers.current.onEvent();
          break;
        case "conversation_status":
          setState((s) => ({ ...s, status: String(f.status) }));
          handlers.current.onEvent();
          break;
        case "error":
          setState((s) => ({ ...s, error: String(f.message) }));
          break;
      }
    };
    socket.onclose = (ev) => {
      if (ws.current !== socket) return;
      ws.current = null;
      if (wanted.current && shouldReconnect(ev.code)) {
        setState((s) => ({ ...s, connected: false, typing: null, reconnecting: true }));
        retry.current = setTimeout(() => void open(), nextDelay(attempt.current++));
        return;
      }
      wanted.current = false;
      setState((s) => ({ ...s, connected: false, typing: null, reconnecting: false, error: ev.code === 1000 ? s.error : `Disconnected (${ev.code}${ev.reason ? ": " + ev.reason : ""})` }));
    };
  };

  const send = useCallback((frame: Frame) => {
    if (ws.current?.readyState === WebSocket.OPEN) ws.current.send(JSON.stringify(frame));
  }, []);

  return {
    state,
    join,
    leave,
    /** `attachments`: ids of files already uploaded to this conversation. */
    reply: (text: string, attachments: string[] = []) => send({ type: "message", id: `agent-${crypto.randomUUID()}`, text, ...(attachments.length && { attachments }) }),
    typing: (isTyping: boolean) => send({ type: "typing", isTyping }),
    release: () => send({ type: "release" }),
    resolve: () => send({ type: "complete" }),
  };
}
