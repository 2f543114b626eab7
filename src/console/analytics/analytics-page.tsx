// Analytics: the overview for a period, a detailed metric over time split by channel, program or new /
// returning users (uPlot, lazy), CSAT, the support dashboard (AI-resolved, handovers, reply times, by
// channel, top topics), knowledge gaps and CSV export.
// Scrollable tables are focusable regions: at 360 px they scroll sideways, and the keyboard must reach them.
import { useQuery } from "@tanstack/react-query";
import { Suspense, lazy, useMemo, useState } from "react";
import { api } from "../api/client";
import { ErrorNote, Select } from "../ui/forms";
import { Empty, Page } from "../ui/layout";
import { DataTable } from "../ui/data-table";
import { KnowledgeGaps } from "./knowledge-gaps";
import { toColumns, toCsv, type DetailedPoint } from "./series";

const SeriesChart = lazy(() => import("./series-chart"));

export interface Overview {
  period: string;
  date_range: { start_date: string; end_date: string };
  summary: Record<string, number | null>;
  trends: Record<string, number | string | null>;
}
interface Detailed {
  metric: string;
  data: DetailedPoint[];
  totals: { total_value: number | null; average_per_bucket: number | null; peak_value: number | null; peak_date: string | null; segments?: Record<string, number | null> };
  /** program / user_type: what each segment key means (a program's name, "Returning users"). */
  segment_labels?: Record<string, string>;
}

const SEGMENTS = { channel: "channel", program: "program", user_type: "new or returning user" } as const;
type Segment = keyof typeof SEGMENTS;
interface Support {
  period: { start: string; end: string };
  overview: Record<string, number | null>;
  byChannel: Record<string, { conversations: number; aiResolved: number; agentHandovers: number; avgSatisfactionScore: number | null }>;
  topTopics: { topic: string; answers: number }[];
}

const PERIOD_DAYS = { "7d": 7, "30d": 30, "90d": 90, "1y": 365 } as const;
type Period = keyof typeof PERIOD_DAYS;
/** Averages and ratios: a bucket without data has no value (the others are counts). */
const RATIOS = new Set(["satisfaction", "response_time"]);
const METRICS: [string, string][] = [
  ["conversations", "Conversations"],
  ["interactions", "Messages"],
  ["users", "New users"],
  ["ai_interactions", "AI answers"],
  ["unanswered", "Unanswered (fallback)"],
  ["escalations", "Handovers"],
  ["resolutions", "Resolved"],
  ["satisfaction", "CSAT (1–5)"],
  ["response_time", "Response time (s)"],
];

export const fmt = (v: number | string | null | undefined, digits = 2) =>
  v === null || v === undefined ? "—" : typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : v;
const pct = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)} %`);

export function OverviewStats({ o }: { o: Overview }) {
  const s = o.summary;
  const items: [string, string][] = [
    ["Conversations", fmt(s.total_conversations)],
    ["Messages", fmt(s.total_interactions)],
    ["AI answers", fmt(s.ai_interactions)],
    ["Handovers", fmt(s.human_escalations)],
    ["Active users", fmt(s.active_users)],
    ["New users", fmt(s.new_users)],
    ["Engagement", pct(s.average_engagement_score)],
    ["Avg. response (s)", fmt(s.average_response_time_seconds, 1)],
    ["CSAT (1–5)", fmt(s.user_satisfaction_score)],
  ];
  return (
    <dl className="stats">
      {items.map(([k, v]) => (
        <div key={k} className="stat card">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  a.click();
  URL.revokeObjectURL(url);
}

export default function AnalyticsPage() {
  const [period, setPeriod] = useState<Period>("30d");
  const [metric, setMetric] = useState("conversations");
  const [segment, setSegment] = useState<Segment>("channel");
  const days = PERIOD_DAYS[period];
  const end = new Date().toISOString().slice(0, 10);
  const start = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const granularity = days > 90 ? "week" : "day";
  const overview = useQuery({ queryKey: ["analytics", "overview", period], queryFn: () => api<Overview>(`/api/v1/analytics/overview?period=${period}`) });
  const detailed = useQuery({
    queryKey: ["analytics", "detailed", metric, period, segment],
    queryFn: () => api<Detailed>(`/api/v1/analytics/detailed?metric=${metric}&granularity=${granularity}&segment=${segment}&start_date=${start}&end_date=${end}`),
  });
  const support = useQuery({ queryKey: ["analytics", "support", period], queryFn: () => api<Support>(`/api/admin/analytics/dashboard?startDate=${start}&endDate=${end}`) });
  const labels = detailed.data?.segment_labels;
  const columns = useMemo(() => (detailed.data ? toColumns(detailed.data.data, { ratio: RATIOS.has(detailed.data.metric), labels: detailed.data.segment_labels }) : null), [detailed.data]);
  const segmentRows = Object.entries(detailed.data?.totals.segments ?? {}).map(([key, value]) => ({ key, label: labels?.[key] ?? key, value }));
  const metricLabel = METRICS.find(([m]) => m === metric)?.[1] ?? metric;
  return (
    <Page
      title="Analytics"
      actions={
        <Select label="Period" value={period} onChange={(e) => setPeriod(e.target.value as Period)}>
          <option value="7d">Last 7 days</option>
          <option value="30d">Last 30 days</option>
          <option value="90d">Last 90 days</option>
          <option value="1y">Last year</option>
        </Select>
      }
    >
      <section aria-labelledby="overview-title">
        <h2 id="overview-title">Overview</h2>
        <ErrorNote error={overview.error} />
        {overview.data ? <OverviewStats o={overview.data} /> : <Empty>Loading…</Empty>}
      </section>

      <figure className="card" aria-labelledby="series-title">
        <figcaption>
          <div className="page-head">
            <h2 id="series-title">
              {metricLabel} per {granularity}, by {SEGMENTS[segment]}
            </h2>
            <div className="inline-form">
              <Select label="Metric" value={metric} onChange={(e) => setMetric(e.target.value)}>
                {METRICS.map(([m, l]) => (
                  <option key={m} value={m}>
                    {l}
                  </option>
                ))}
              </Select>
              <Select label="Split by" value={segment} onChange={(e) => setSegment(e.target.value as Segment)}>
                <option value="channel">Channel</option>
                <option value="program">Program</option>
                <option value="user_type">New or returning</option>
              </Select>
              <button type="button" disabled={!detailed.data} onClick={() => detailed.data && download(`${metric}-by-${segment}-${start}-${end}.csv`, toCsv(metric, detailed.data.data, labels))}>
                Export CSV
              </button>
            </div>
          </div>
        </figcaption>
        <ErrorNote error={detailed.error} />
        {columns && (
          <Suspense fallback={<p role="status">Loading the chart…</p>}>
            <SeriesChart columns={columns} label={`${metricLabel} per ${granularity}`} whole={!RATIOS.has(metric)} />
          </Suspense>
        )}
        {detailed.data && (
          <DataTable
            label={`Totals by ${SEGMENTS[segment]}`}
            caption="Totals for the period"
            rows={segmentRows}
            rowKey={(r) => r.key}
            empty="Nothing in this period."
            columns={[
              { header: segment === "channel" ? "Channel" : segment === "program" ? "Program" : "Users", cell: (r) => r.label },
              { header: metricLabel, cell: (r) => fmt(r.value) },
            ]}
            footer={
              <tr>
                <th scope="row">All</th>
                <td>{fmt(detailed.data.totals.total_value)}</td>
              </tr>
            }
          />
        )}
      </figure>

      <section className="card" aria-labelledby="support-title">
        <h2 id="support-title">Support</h2>
        <ErrorNote error={support.error} />
        {support.data && (
          <>
            <dl className="stats">
              {(
                [
                  ["AI-resolved", fmt(support.data.overview.aiResolved)],
                  ["Resolved", fmt(support.data.overview.resolved)],
                  ["Handovers", fmt(support.data.overview.agentHandovers)],
                  ["First human reply (s)", fmt(support.data.overview.avgFirstHumanReplyTime, 1)],
                  ["Resolution time (s)", fmt(support.data.overview.avgResolutionTime, 1)],
                  ["CSAT (1–5)", fmt(support.data.overview.avgSatisfactionScore)],
                  ["Ratings", fmt(support.data.overview.ratings)],
                ] as [string, string][]
              ).map(([k, v]) => (
                <div key={k} className="stat">
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            </dl>
            <DataTable
              label="Support by channel"
              caption="By channel"
              rows={Object.entries(support.data.byChannel).map(([channel, r]) => ({ channel, ...r }))}
              rowKey={(r) => r.channel}
              empty="No conversation in this period."
              columns={[
                { header: "Channel", cell: (r) => r.channel },
                { header: "Conversations", short: "Convs", cell: (r) => r.conversations },
                { header: "AI-resolved", short: "AI", cell: (r) => r.aiResolved },
                { header: "Handovers", short: "Human", cell: (r) => r.agentHandovers },
                { header: "CSAT", cell: (r) => fmt(r.avgSatisfactionScore) },
              ]}
            />
            <h3>Most used documents</h3>
            {support.data.topTopics.length ? (
              <ol>
                {support.data.topTopics.map((t) => (
                  <li key={t.topic}>
                    {t.topic} <span className="muted">({t.answers} answers)</span>
                  </li>
                ))}
              </ol>
            ) : (
              <Empty>No AI answer drew on a document in this period yet.</Empty>
            )}
          </>
        )}
      </section>

      <KnowledgeGaps period={period} />
    </Page>
  );
}
