// The notifications bell: the unread count, and a list to mark read one by one or all at once.
// Kept fresh by the live inbox stream (a `notification` event invalidates ["notifications"]).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "wouter";
import { api } from "../api/client";

export interface AppNotification {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  read: boolean;
  created_at: string;
}

export function NotificationsBell() {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const list = useQuery({
    queryKey: ["notifications"],
    queryFn: () => api<{ notifications: AppNotification[]; unread_count: number }>("/api/v1/notifications?limit=20"),
  });
  const mark = useMutation({
    mutationFn: (body: { ids: string[] } | { all: true }) => api("/api/v1/notifications/mark-read", { json: body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["notifications"] }),
  });
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !box.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);
  const unread = list.data?.unread_count ?? 0;
  const link = (n: AppNotification) => (typeof n.data.conversation_id === "string" ? `/inbox/${n.data.conversation_id}` : null);
  return (
    <div className="bell" ref={box}>
      <button type="button" className="bell-button" aria-expanded={open} aria-controls="notifications-panel" onClick={() => setOpen(!open)}>
        <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2">
          <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 0 1-3.4 0" />
        </svg>
        <span className="bell-label">Notifications</span>{" "}
        {unread > 0 && (
          <span className="count" data-testid="unread-count">
            {unread}
          </span>
        )}
        <span className="visually-hidden">{unread === 1 ? " (1 unread)" : ` (${unread} unread)`}</span>
      </button>
      {open && (
        <section id="notifications-panel" className="bell-panel card" aria-label="Notifications">
          <div className="page-head">
            <h2>Notifications</h2>
            <button type="button" className="link-button" disabled={!unread || mark.isPending} onClick={() => mark.mutate({ all: true })}>
              Mark all read
            </button>
          </div>
          {list.data?.notifications.length ? (
            <ul className="notif-list">
              {list.data.notifications.map((n) => (
                <li key={n.id} className={n.read ? "read" : "unread"}>
                  <p>
                    <strong>{link(n) ? <Link href={link(n)!} onClick={() => setOpen(false)}>{n.title}</Link> : n.title}</strong>
                    <br />
                    <span>{n.body}</span>
                    <br />
                    <small className="muted">{new Date(n.created_at).toLocaleString()}</small>
                  </p>
                  {!n.read && (
                    <button type="button" className="link-button" onClick={() => mark.mutate({ ids: [n.id] })}>
                      Mark read<span className="visually-hidden">: {n.title}</span>
                    </button>
                  )}
                </li>
              ))}
            </ul>
          ) : (
            <p className="empty">{list.isPending ? "Loading…" : "Nothing new."}</p>
          )}
        </section>
      )}
    </div>
  );
}
