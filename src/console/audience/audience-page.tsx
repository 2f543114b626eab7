// Audience: end users with search and a channel filter; a user's profile, tags, enrolments (pause,
// resume, cancel) and recent interactions.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api } from "../api/client";
import type { Pagination } from "../api/types";
import { ErrorNote, Field, Select } from "../ui/forms";
import { DataTable } from "../ui/data-table";
import { Empty, Page, StatusBadge } from "../ui/layout";

interface UserSummary {
  id: string;
  external_id: string;
  channel: string;
  tags: string[];
  profile_data: Record<string, unknown>;
  last_active_at: string | null;
  total_interactions: number;
  program_enrollments: number;
}
interface UserDetail extends Omit<UserSummary, "program_enrollments"> {
  program_enrollments: { enrollment_id: string; program_id: string; program_name: string; status: string; progress: number }[];
  recent_interactions: { id: string; interaction_type: string; created_at: string; channel: string; conversation_id: string }[];
}

export default function AudiencePage() {
  const [search, setSearch] = useState("");
  const [channel, setChannel] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const qs = new URLSearchParams({ limit: "50" });
  if (search) qs.set("search", search);
  if (channel) qs.set("channel", channel);
  const users = useQuery({ queryKey: ["users", search, channel], queryFn: () => api<{ users: UserSummary[]; pagination: Pagination }>(`/api/v1/users?${qs}`) });
  return (
    <Page title="Audience">
      <div className="inline-form">
        <Field label="Search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <Select label="Channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
          <option value="">All</option>
          <option value="web">Widget</option>
          <option value="telegram">Telegram</option>
          <option value="whatsapp">WhatsApp</option>
          <option value="api">API</option>
        </Select>
      </div>
      <ErrorNote error={users.error} />
      <DataTable
        className="card"
        label="End users"
        rows={users.data?.users}
        rowKey={(u) => u.id}
        empty={users.isPending ? "Loading…" : "Nobody yet: people appear here when they first write on a channel."}
        columns={[
          {
            header: "User",
            cell: (u) => (
              <button type="button" className="link-button" aria-expanded={open === u.id} onClick={() => setOpen(open === u.id ? null : u.id)}>
                {String(u.profile_data.name ?? u.profile_data.first_name ?? u.external_id)}
              </button>
            ),
          },
          { header: "Channel", cell: (u) => u.channel },
          { header: "Tags", cell: (u) => u.tags.join(", ") },
          { header: "Interactions", cell: (u) => u.total_interactions },
          { header: "Last active", cell: (u) => (u.last_active_at ? new Date(u.last_active_at).toLocaleString() : "—") },
        ]}
      />
      {open && <UserPanel id={open} />}
    </Page>
  );
}

function UserPanel({ id }: { id: string }) {
  const qc = useQueryClient();
  const user = useQuery({ queryKey: ["users", id], queryFn: () => api<UserDetail>(`/api/v1/users/${id}`) });
  const act = useMutation({
    mutationFn: ({ programId, action }: { programId: string; action: "pause" | "resume" | "cancel" }) => api(`/api/v1/users/${id}/programs/${programId}/${action}`, { method: "POST" }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["users", id] }),
  });
  const u = user.data;
  return (
    <section className="card" aria-labelledby="user-title">
      <h2 id="user-title">{u ? String(u.profile_data.name ?? u.external_id) : "User"}</h2>
      <ErrorNote error={user.error ?? act.error} />
      {u && (
        <>
          <h3>Profile</h3>
          <pre className="code">{JSON.stringify(u.profile_data, null, 2)}</pre>
          <h3>Enrolments</h3>
          {u.program_enrollments.length ? (
            <ul>
              {u.program_enrollments.map((e) => (
                <li key={e.enrollment_id}>
                  {e.program_name} <StatusBadge status={e.status} /> {Math.round(e.progress * 100)}%{" "}
                  {e.status === "active" && (
                    <button type="button" onClick={() => act.mutate({ programId: e.program_id, action: "pause" })}>
                      Pause
                    </button>
                  )}
                  {e.status === "paused" && (
                    <button type="button" onClick={() => act.mutate({ programId: e.program_id, action: "resume" })}>
                      Resume
                    </button>
                  )}
                  {(e.status === "active" || e.status === "paused") && (
                    <button type="button" className="danger" onClick={() => act.mutate({ programId: e.program_id, action: "cancel" })}>
                      Cancel
                    </button>
                  )}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>Not enrolled in any program.</Empty>
          )}
          <h3>Recent conversations</h3>
          <ul>
            {[...new Set(u.recent_interactions.map((i) => i.conversation_id))].slice(0, 10).map((cid) => (
              <li key={cid}>
                <Link href={`/inbox/${cid}`}>Open conversation {cid.slice(0, 8)}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
