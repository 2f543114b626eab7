// Home: the onboarding checklist (each step ticks itself off from real data) and the overview numbers.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { Link } from "wouter";
import { api } from "../api/client";
import type { ChannelRow, Pagination } from "../api/types";
import { useMe } from "../auth/session";
import { useKnowledgeBases } from "../knowledge/queries";
import { Page } from "../ui/layout";
import type { Overview } from "../analytics/analytics-page";
import { ErrorNote } from "../ui/forms";

const ActivityChart = lazy(() => import("./activity-chart"));
const DAYS = 14;

const total = (path: string) => () => api<{ pagination: Pagination }>(path).then((r) => r.pagination.total);

function useOverview() {
  const overview = useQuery({ queryKey: ["analytics", "overview", "30d"], queryFn: () => api<Overview>("/api/v1/analytics/overview?period=30d") });
  const waiting = useQuery({ queryKey: ["conversations", "count", "waiting_human"], queryFn: total("/api/v1/conversations?limit=1&status=waiting_human") });
  const tried = useQuery({ queryKey: ["conversations", "count", "api"], queryFn: total("/api/v1/conversations?limit=1&channel=api") });
  const widget = useQuery({ queryKey: ["conversations", "count", "widget"], queryFn: total("/api/v1/conversations?limit=1&channel=widget") });
  const channels = useQuery({ queryKey: ["channels"], queryFn: () => api<{ channels: ChannelRow[] }>("/api/v1/channels").then((r) => r.channels) });
  return { overview, waiting, tried, widget, channels };
}

export function HomePage() {
  const me = useMe();
  const bases = useKnowledgeBases();
  const o = useOverview();
  const docs = bases.data?.reduce((n, b) => n + b.document_count, 0) ?? 0;
  const steps = [
    { done: (bases.data?.length ?? 0) > 0, label: "Create a knowledge base", href: "/knowledge" },
    { done: docs > 0, label: "Upload a document", href: "/knowledge" },
    { done: (o.tried.data ?? 0) > 0, label: "Try the assistant in the playground", href: "/knowledge" },
    { done: (o.widget.data ?? 0) > 0, label: "Install the widget on your site", href: "/widget" },
    { done: o.channels.data?.some((c) => c.channel_type === "telegram" || c.channel_type === "whatsapp") ?? false, label: "Connect Telegram or WhatsApp", href: "/channels" },
  ];
  const doneCount = steps.filter((s) => s.done).length;
  return (
    <Page title={`Welcome, ${me.full_name.split(" ")[0]}`}>
      <section className="card" aria-labelledby="checklist-title">
        <h2 id="checklist-title">
          Get started <span className="muted">({doneCount} of {steps.length} done)</span>
        </h2>
        <progress max={steps.length} value={doneCount} aria-label="Onboarding progress" />
        <ol className="checklist">
          {steps.map((s) => (
            <li key={s.label} data-done={s.done}>
              <span aria-hidden="true" className="tick">
                {s.done ? "✓" : "○"}
              </span>
              <Link href={s.href}>{s.label}</Link>
              <span className="visually-hidden">{s.done ? " (done)" : " (to do)"}</span>
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="overview-title">
        <h2 id="overview-title">Overview</h2>
        <dl className="stats">
          <Stat label="Waiting for a human" value={o.waiting.data} href="/inbox" />
          <Stat label="Conversations (30 days)" value={o.overview.data?.summary.total_conversations ?? undefined} href="/analytics" />
          <Stat label="Active users (30 days)" value={o.overview.data?.summary.active_users ?? undefined} />
          <Stat label="AI answers (30 days)" value={o.overview.data?.summary.ai_interactions ?? undefined} />
          <Stat label="Handovers (30 days)" value={o.overview.data?.summary.human_escalations ?? undefined} />
          <Stat label="CSAT (1–5)" value={o.overview.data ? (o.overview.data.summary.user_satisfaction_score ?? "—") : undefined} />
          <Stat label="Documents" value={bases.data ? docs : undefined} />
          <Stat label="Channels" value={o.channels.data?.length} />
        </dl>
        <Activity />
        <ErrorNote error={o.overview.error} />
        <p className="muted">
          Per channel, over time, CSAT and the support figures: <Link href="/analytics">Analytics</Link>.
        </p>
      </section>
    </Page>
  );
}

function Stat({ label, value, href }: { label: string; value: number | string | undefined; href?: string }) {
  return (
    <div className="stat card">
      <dt>{href ? <Link href={href}>{label}</Link> : label}</dt>
      <dd>{value ?? "…"}</dd>
    </div>
  );
}

/** Conversations started per day, from the rollups (GET /api/v1/analytics/detailed). */
function Activity() {
  const end = new Date().toISOString().slice(0, 10);
  const start = new Date(Date.now() - (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  const series = useQuery({
    queryKey: ["analytics", "detailed", "conversations", "home"],
    queryFn: () => api<{ data: { date: string; value: number | null }[] }>(`/api/v1/analytics/detailed?metric=conversations&granularity=day&start_date=${start}&end_date=${end}`),
  });
  if (!series.data) return null;
  const days = series.data.data.map((d) => d.date);
  const counts = series.data.data.map((d) => d.value ?? 0);
  const sum = counts.reduce((a, b) => a + b, 0);
  return (
    <figure className="card" aria-labelledby="activity-caption">
      <figcaption id="activity-caption">
        <strong>Conversations started, last {DAYS} days:</strong> {sum}
        <span className="visually-hidden">
          {days.map((d, i) => `${d}: ${counts[i]}`).join(", ")}
        </span>
      </figcaption>
      <Suspense fallback={null}>
        <ActivityChart days={days} counts={counts} />
      </Suspense>
    </figure>
  );
}
