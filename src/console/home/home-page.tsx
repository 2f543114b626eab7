// Home: the onboarding checklist (each step ticks itself off from real data) and the overview numbers.
import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import { api } from "../api/client";
import type { ChannelRow, Pagination } from "../api/types";
import { useMe } from "../auth/session";
import { useKnowledgeBases } from "../knowledge/queries";
import { Page } from "../ui/layout";

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
        <p className="muted">Charts over time come with the analytics service; see Channels for per-channel numbers.</p>
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
