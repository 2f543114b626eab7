// Analytics (what exists today): each channel's last 30 days day by day, and the conversation
// counts by status. The analytics service (CSAT, knowledge gaps, export) lands later.
import { useQueries, useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { ChannelRow, Pagination } from "../api/types";
import { ErrorNote } from "../ui/forms";
import { Empty, Page } from "../ui/layout";

interface Analytics {
  metrics: { total_messages?: number; unique_users?: number; new_users?: number };
  daily_breakdown: { date: string; messages: number; users: number; new_users: number }[];
}
const STATUSES = ["active", "waiting_human", "completed", "archived"] as const;

export default function AnalyticsPage() {
  const channels = useQuery({ queryKey: ["channels"], queryFn: () => api<{ channels: ChannelRow[] }>("/api/v1/channels").then((r) => r.channels) });
  const counts = useQueries({
    queries: STATUSES.map((s) => ({
      queryKey: ["conversations", "count", s],
      queryFn: () => api<{ pagination: Pagination }>(`/api/v1/conversations?limit=1&status=${s}`).then((r) => r.pagination.total),
    })),
  });
  return (
    <Page title="Analytics">
      <section aria-labelledby="conv-stats">
        <h2 id="conv-stats">Conversations by status</h2>
        <dl className="stats">
          {STATUSES.map((s, i) => (
            <div key={s} className="stat card">
              <dt>{s.replace("_", " ")}</dt>
              <dd>{counts[i]?.data ?? "…"}</dd>
            </div>
          ))}
        </dl>
      </section>
      <ErrorNote error={channels.error} />
      {channels.data?.length ? channels.data.map((c) => <ChannelDays key={c.id} channel={c} />) : <Empty>No channel analytics yet.</Empty>}
      <p className="muted">CSAT, knowledge gaps and exports arrive with the analytics service.</p>
    </Page>
  );
}

function ChannelDays({ channel }: { channel: ChannelRow }) {
  const a = useQuery({ queryKey: ["channels", channel.id, "analytics"], queryFn: () => api<Analytics>(`/api/v1/channels/${channel.id}/analytics`) });
  const days = a.data?.daily_breakdown ?? [];
  const max = Math.max(1, ...days.map((d) => d.messages));
  return (
    <section className="card" aria-labelledby={`ch-${channel.id}`}>
      <h2 id={`ch-${channel.id}`}>
        {channel.channel_name} <span className="muted">({channel.channel_type})</span>
      </h2>
      <ErrorNote error={a.error} />
      {a.data && (
        <>
          <p>
            {a.data.metrics.total_messages ?? 0} messages · {a.data.metrics.unique_users ?? 0} users · {a.data.metrics.new_users ?? 0} new
          </p>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Messages per day</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Messages</th>
                  <th scope="col">Users</th>
                </tr>
              </thead>
              <tbody>
                {days.filter((d) => d.messages > 0).map((d) => (
                  <tr key={d.date}>
                    <td>{d.date}</td>
                    <td>
                      <span aria-hidden="true" style={{ display: "inline-block", width: `${(d.messages / max) * 120}px`, height: "0.6rem", background: "#1d4ed8", marginRight: 6 }} />
                      {d.messages}
                    </td>
                    <td>{d.users}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
