// Home: the onboarding checklist (each step ticks itself off from real data) and the overview numbers.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { Link } from "wouter";
import { api } from "../api/client";
import type { ChannelRow, Conversation, Pagination } from "../api/types";
import { useMe } from "../auth/session";
import { useKnowledgeBases } from "../knowledge/queries";
import { Page } from "../ui/layout";
import { startedPerDay } from "./activity";

const ActivityChart = lazy(() => import("./activity-chart"));
const DAYS = 14;
const MAX_PAGES = 10;

/** Conversations updated in the window, newest first, page by page (creation is never after the last update). */
async function recentConversations(): Promise<{ createdAts: string[]; capped: boolean }> {
  const cutoff = new Date(Date.now() - DAYS * 86_400_000).toISOString();
  const createdAts: string[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const r = await api<{ conversations: Conversation[]; pagination: Pagination }>(`/api/v1/conversations?limit=100&page=${page}`);
    createdAts.push(...r.conversations.map((c) => c.created_at));
    const last = r.conversations[r.conversations.length - 1];
    if (!last || page >= r.pagination.pages || last.updated_at < cutoff) return { createdAts, capped: false };
  }
  return { createdAts, capped: true };
}

const total = (path: string) => () => api<{ pagination: Pagination }>(path).then((r) => r.pagination.total);

function useOverview() {
  const conversations = useQuery({ queryKey: ["conversations", "count", "all"], queryFn: total("/api/v1/conversations?limit=1") });
  const waiting = useQuery({ queryKey: ["conversations", "count", "waiting_human"], queryFn: total("/api/v1/conversations?limit=1&status=waiting_human") });
  const tried = useQuery({ queryKey: ["conversations", "count", "api"], queryFn: total("/api/v1/conversations?limit=1&channel=api") });
  const widget = useQuery({ queryKey: ["conversations", "count", "widget"], queryFn: total("/api/v1/conversations?limit=1&channel=widget") });
  const users = useQuery({ queryKey: ["users", "count"], queryFn: total("/api/v1/users?limit=1") });
  const channels = useQuery({ queryKey: ["channels"], queryFn: () => api<{ channels: ChannelRow[] }>("/api/v1/channels").then((r) => r.channels) });
  return { conversations, waiting, tried, widget, users, channels };
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
          <Stat label="Conversations" value={o.conversations.data} />
          <Stat label="Waiting for a human" value={o.waiting.data} href="/inbox" />
          <Stat label="End users" value={o.users.data} />
          <Stat label="Documents" value={bases.data ? docs : undefined} />
          <Stat label="Channels" value={o.channels.data?.length} />
        </dl>
        <Activity />
        <p className="muted">More charts (per channel, CSAT, knowledge gaps) come with the analytics service; see Analytics and Channels for what exists.</p>
      </section>
    </Page>
  );
}

function Stat({ label, value, href }: { label: string; value: number | undefined; href?: string }) {
  return (
    <div className="stat card">
      <dt>{href ? <Link href={href}>{label}</Link> : label}</dt>
      <dd>{value ?? "…"}</dd>
    </div>
  );
}

function Activity() {
  const recent = useQuery({ queryKey: ["conversations", "recent"], queryFn: recentConversations });
  if (!recent.data) return null;
  const { days, counts } = startedPerDay(recent.data.createdAts, DAYS, new Date());
  const total = counts.reduce((a, b) => a + b, 0);
  return (
    <figure className="card" aria-labelledby="activity-caption">
      <figcaption id="activity-caption">
        <strong>Conversations started, last {DAYS} days:</strong> {total}
        {recent.data.capped ? " (at least)" : ""}
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
