// Inbox: conversations by status and channel, and the selected conversation with its history,
// sources, typing, and the agent's actions (join, reply, release to the AI, resolve).
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useMe } from "../auth/session";
import { ClientMemory } from "./client-memory";
import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "wouter";
import { api } from "../api/client";
import type { Conversation, Pagination, Source, StoredMessage } from "../api/types";
import { ErrorNote, Select } from "../ui/forms";
import { Empty, Page, StatusBadge } from "../ui/layout";
import { useConversationSocket } from "./conversation-socket";
import { useInboxStream } from "./inbox-stream";
import { MessageFiles, ReplyFiles, useReplyFiles } from "./message-files";
import { mergeMessages } from "./thread";

function useConversations(status: string, channel: string) {
  const qs = new URLSearchParams({ limit: "50" });
  if (status) qs.set("status", status);
  if (channel) qs.set("channel", channel);
  return useQuery({
    queryKey: ["conversations", "list", status, channel],
    queryFn: () => api<{ conversations: Conversation[]; pagination: Pagination }>(`/api/v1/conversations?${qs}`),
  });
}

/** Sources come from the conversation object as stored; older rows may lack metadata. */
function sourceTitle(s: Source): string {
  const meta = (s?.metadata ?? {}) as Record<string, unknown>;
  return String(meta.document_title ?? meta.title ?? s?.content?.slice(0, 80) ?? "Source");
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

export default function InboxPage() {
  const { id } = useParams<{ id?: string }>();
  const [status, setStatus] = useState("");
  const [channel, setChannel] = useState("");
  const stream = useInboxStream();
  const list = useConversations(status, channel);
  // Looking at the inbox is seeing the handovers: the nav badge clears, the list shows them.
  const { handovers, clearHandovers } = stream;
  useEffect(() => {
    if (handovers) clearHandovers();
  }, [handovers, clearHandovers]);

  const waiting = list.data?.conversations.filter((c) => c.status === "waiting_human").length ?? 0;
  return (
    <Page
      title="Inbox"
      actions={
        <label className="muted">
          <input
            type="checkbox"
            checked={stream.muted}
            onChange={(e) => stream.setMuted(e.target.checked)}
          />{" "}
          Mute the handover sound{" "}
          <span role="status" className={stream.connected ? "live on" : "live"}>
            {stream.connected ? "· live" : "· reconnecting…"}
          </span>
        </label>
      }
    >
      <div className="inbox">
        <section className="card" aria-labelledby="conv-list-title">
          <h2 id="conv-list-title">
            Conversations{" "}
            {waiting > 0 && (
              <span className="attention" role="status" aria-label={`${waiting} waiting for a human`}>
                {waiting} waiting
              </span>
            )}
          </h2>
          <div className="inline-form">
            <Select label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">All</option>
              <option value="waiting_human">Waiting for a human</option>
              <option value="active">Active</option>
              <option value="completed">Resolved</option>
              <option value="archived">Archived</option>
            </Select>
            <Select label="Channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
              <option value="">All</option>
              <option value="widget">Widget</option>
              <option value="telegram">Telegram</option>
              <option value="whatsapp">WhatsApp</option>
              <option value="api">API / playground</option>
            </Select>
          </div>
          <ErrorNote error={list.error} />
          {list.data?.conversations.length ? (
            <ul className="conv-list">
              {list.data.conversations.map((c) => (
                <li key={c.id}>
                  <Link href={`/inbox/${c.id}`} aria-current={c.id === id ? "page" : undefined}>
                    <span className="meta">
                      <StatusBadge status={c.status} /> {c.channel} · {c.last_seq} messages
                    </span>
                    <span className="muted">{when(c.last_message_at ?? c.created_at)}</span>
                  </Link>
                </li>
              ))}
            </ul>
          ) : (
            <Empty>{list.isPending ? "Loading…" : "No conversation yet. They appear here as visitors write."}</Empty>
          )}
        </section>
        {id ? <ConversationView key={id} id={id} /> : <Empty>Choose a conversation to read it.</Empty>}
      </div>
    </Page>
  );
}

function ConversationView({ id }: { id: string }) {
  const qc = useQueryClient();
  const me = useMe();
  const [messages, setMessages] = useState<StoredMessage[]>([]);
  const draftKey = `draft:${id}`;
  const [draft, setDraft] = useState(() => sessionStorage.getItem(draftKey) ?? "");
  const conv = useQuery({ queryKey: ["conversations", id], queryFn: () => api<Conversation>(`/api/v1/conversations/${id}`) });
  const refresh = () => void qc.invalidateQueries({ queryKey: ["conversations"] });
  const thread = useRef<StoredMessage[]>([]);
  thread.current = messages;
  const socket = useConversationSocket(id, (m) => setMessages((cur) => mergeMessages(cur, m)), refresh, () => thread.current.at(-1)?.seq ?? 0);
  // History over REST (every page); the inbox stream's message events make it stale, so it follows live.
  const history = useQuery({
    queryKey: ["conversations", id, "messages"],
    queryFn: async () => {
      let after = 0;
      const all: StoredMessage[] = [];
      for (let i = 0; i < 20; i++) {
        const page = await api<{ messages: StoredMessage[]; next_after_seq: number | null }>(`/api/v1/conversations/${id}/messages?after_seq=${after}&limit=200`);
        all.push(...page.messages);
        if (page.next_after_seq === null) break;
        after = page.next_after_seq;
      }
      return all;
    },
  });
  useEffect(() => {
    if (history.data) setMessages((cur) => mergeMessages(cur, history.data));
  }, [history.data]);
  const files = useReplyFiles(id);
  const end = useRef<HTMLLIElement>(null);
  // A block body: Chromium's scroll methods now return a promise, which React would take for a cleanup.
  useEffect(() => {
    end.current?.scrollIntoView({ block: "nearest" });
  }, [messages.length]);

  // A reply needs text or files, and waits for its files' uploads.
  const canSend = socket.state.connected && files.ids !== null && (draft.trim().length > 0 || files.ids.length > 0);
  const sendReply = () => {
    const text = draft.trim();
    if (!canSend || files.ids === null) return;
    socket.reply(text, files.ids);
    files.clear();
    setDraft("");
    sessionStorage.removeItem(draftKey);
  };
  const status = socket.state.status ?? conv.data?.status;
  return (
    <section className="card" aria-labelledby="conv-title">
      <h2 id="conv-title">
        Conversation {status && <StatusBadge status={status} />}
      </h2>
      <p className="muted">
        {conv.data?.channel} · started {when(conv.data?.created_at ?? null)}
      </p>
      <div className="toolbar" role="group" aria-label="Conversation actions">
        {socket.state.connected ? (
          <>
            <button type="button" onClick={socket.release}>
              Release to the AI
            </button>
            <button type="button" onClick={socket.resolve}>
              Resolve
            </button>
            <button type="button" onClick={socket.leave}>
              Leave
            </button>
            <span role="status">{socket.state.handover === "agent" ? "You are in the conversation" : "The AI answers"}</span>
          </>
        ) : socket.state.reconnecting ? (
          <>
            <span role="status" className="attention" data-testid="conversation-reconnecting">
              Connection lost — reconnecting…
            </span>
            <button type="button" onClick={socket.leave}>
              Leave
            </button>
          </>
        ) : (
          <button type="button" className="primary" onClick={() => void socket.join()}>
            Join conversation
          </button>
        )}
      </div>
      {socket.state.error && <p role="alert" className="error-note">{socket.state.error}</p>}
      <ErrorNote error={conv.error ?? history.error} />
      <ol className="thread" aria-label="Messages" aria-live="polite">
        {messages.map((m) => (
          <li key={m.seq} data-sender={m.sender}>
            <span className="who">{m.sender === "agent" ? (m.sender_name ?? "Agent") : m.sender === "ai" ? "Assistant" : m.sender === "user" ? "Visitor" : "Notice"}</span>
            {m.text && <p>{m.text}</p>}
            {m.attachments && m.attachments.length > 0 && <MessageFiles files={m.attachments} />}
            {m.sender === "ai" && m.sources && m.sources.length > 0 && (
              <details>
                <summary>{m.sources.length === 1 ? "1 source" : `${m.sources.length} sources`}</summary>
                <ul>
                  {m.sources.map((s, i) => (
                    <li key={i}>{sourceTitle(s)}</li>
                  ))}
                </ul>
              </details>
            )}
          </li>
        ))}
        <li ref={end} aria-hidden="true" style={{ background: "none", padding: 0, margin: 0 }} />
      </ol>
      <p className="typing" aria-live="polite">
        {socket.state.typing}
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          sendReply();
        }}
      >
        <div className="field">
          <label htmlFor="reply">Reply {socket.state.connected ? "" : "(join first)"}</label>
          <textarea
            id="reply"
            rows={3}
            value={draft}
            maxLength={8000}
            onChange={(e) => {
              setDraft(e.target.value);
              sessionStorage.setItem(draftKey, e.target.value);
              socket.typing(e.target.value.length > 0);
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                sendReply();
              }
            }}
          />
          <small>Enter sends, Shift+Enter starts a new line. Your draft is kept if you switch conversations.</small>
        </div>
        <ReplyFiles files={files} disabled={!socket.state.connected} />
        <button type="submit" className="primary" disabled={!canSend}>
          Send reply
        </button>
      </form>
      {conv.data?.end_user_id && <ClientMemory userId={conv.data.end_user_id} canWrite={me.permissions.includes("conversations")} />}
    </section>
  );
}
