// Proactive rules: a form per trigger type, the list with triggered counts, an audience preview per
// rule, and the engine's analytics.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { ErrorNote, Field, formValues, Select, Submit, TextArea } from "../ui/forms";
import { Empty, Page, StatusBadge } from "../ui/layout";

interface Rule {
  id: string;
  name: string;
  trigger_conditions: Record<string, unknown>;
  actions: Record<string, unknown>[];
  is_active: boolean;
  triggered_count: number;
  success_rate: number;
}
type TriggerType = "inactivity" | "scheduled" | "program_stalled" | "milestone";

/** The trigger object for the chosen type from the form's fields (the server validates it). */
export function triggerFrom(type: TriggerType, v: Record<string, string>): Record<string, unknown> {
  const hours = Number(v.threshold_hours);
  switch (type) {
    case "inactivity":
      return { type, threshold_hours: hours };
    case "program_stalled":
      return { type, threshold_hours: hours, ...(v.program_id ? { program_id: v.program_id } : {}) };
    case "scheduled":
      return v.cron ? { type, cron: v.cron } : { type, daily_at: v.daily_at };
    case "milestone":
      return { type, event: v.event, ...(v.badge_id ? { badge_id: v.badge_id } : {}) };
  }
}

export default function ProactivePage() {
  const qc = useQueryClient();
  const [type, setType] = useState<TriggerType>("inactivity");
  const rules = useQuery({ queryKey: ["proactive-rules"], queryFn: () => api<{ rules: Rule[] }>("/api/v1/proactive-engine/rules").then((r) => r.rules) });
  const analytics = useQuery({ queryKey: ["proactive-analytics"], queryFn: () => api<Record<string, unknown>>("/api/v1/proactive-engine/analytics") });
  const create = useMutation({
    mutationFn: (body: unknown) => api<Rule>("/api/v1/proactive-engine/rules", { json: body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["proactive-rules"] }),
  });
  const toggle = useMutation({
    mutationFn: (r: Rule) => api(`/api/v1/proactive-engine/rules/${r.id}`, { method: "PUT", json: { is_active: !r.is_active } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["proactive-rules"] }),
  });
  const [preview, setPreview] = useState<{ rule: string; total: number } | null>(null);
  const runPreview = useMutation({
    mutationFn: (r: Rule) => api<{ total_recipients: number }>(`/api/v1/proactive-engine/rules/${r.id}/preview`, { method: "POST" }).then((p) => ({ rule: r.name, total: p.total_recipients })),
    onSuccess: setPreview,
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    create.mutate({ name: v.name, trigger_conditions: triggerFrom(type, v), actions: [{ type: "send_message", message_template: v.message_template }] });
  };
  return (
    <Page title="Proactive rules">
      <p className="lead">Reach out first: nudge quiet users, send a scheduled check-in, celebrate a finished program.</p>
      <section className="card" aria-labelledby="new-rule">
        <h2 id="new-rule">New rule</h2>
        <form onSubmit={submit}>
          <Field label="Name" name="name" required maxLength={200} />
          <Select label="When" value={type} onChange={(e) => setType(e.target.value as TriggerType)}>
            <option value="inactivity">Someone has been quiet for a while</option>
            <option value="scheduled">On a schedule</option>
            <option value="program_stalled">Someone is stuck in a program</option>
            <option value="milestone">Someone reaches a milestone</option>
          </Select>
          {(type === "inactivity" || type === "program_stalled") && <Field label="After how many hours" name="threshold_hours" type="number" min={1} required defaultValue="72" />}
          {type === "program_stalled" && <Field label="Program id (optional)" name="program_id" />}
          {type === "scheduled" && (
            <>
              <Field label="Every day at (HH:MM, the user's time)" name="daily_at" defaultValue="09:00" />
              <Field label="Or a cron expression (replaces the time)" name="cron" hint='Five fields, e.g. "0 9 * * 1" for Mondays at 09:00.' />
            </>
          )}
          {type === "milestone" && (
            <>
              <Select label="Milestone" name="event" defaultValue="program_completed">
                <option value="program_completed">Completed a program</option>
                <option value="badge_earned">Earned a badge</option>
              </Select>
              <Field label="Badge id (optional, for badges)" name="badge_id" />
            </>
          )}
          <TextArea label="Message to send" name="message_template" required maxLength={4000} rows={3} hint="{{name}} is replaced by the user's name." />
          <ErrorNote error={create.error} />
          <Submit busy={create.isPending}>Create rule</Submit>
        </form>
      </section>
      <section aria-labelledby="rules-title">
        <h2 id="rules-title">Rules</h2>
        <ErrorNote error={rules.error ?? toggle.error ?? runPreview.error} />
        {preview && (
          <p role="status">
            “{preview.rule}” would reach {preview.total} people right now.
          </p>
        )}
        {rules.data?.length ? (
          <ul className="cards">
            {rules.data.map((r) => (
              <li key={r.id} className="card">
                <h3>{r.name}</h3>
                <p>
                  <StatusBadge status={r.is_active ? "active" : "paused"} /> {String(r.trigger_conditions.type).replace("_", " ")}
                </p>
                <p className="muted">
                  Triggered {r.triggered_count} times · {Math.round(r.success_rate * 100)}% success
                </p>
                <div className="toolbar">
                  <button type="button" onClick={() => runPreview.mutate(r)}>
                    Preview audience
                  </button>
                  <button type="button" onClick={() => toggle.mutate(r)}>
                    {r.is_active ? "Pause" : "Activate"}
                  </button>
                </div>
              </li>
            ))}
          </ul>
        ) : (
          <Empty>{rules.isPending ? "Loading…" : "No rule yet."}</Empty>
        )}
      </section>
      <section className="card" aria-labelledby="engine-title">
        <h2 id="engine-title">Engine analytics</h2>
        <ErrorNote error={analytics.error} />
        {analytics.data && <pre className="code">{JSON.stringify(analytics.data, null, 2)}</pre>}
      </section>
    </Page>
  );
}
