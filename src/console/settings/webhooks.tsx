// Outgoing webhooks: create (the signing secret shown once), enable/disable, rotate the secret,
// delete, and each endpoint's delivery log with its attempts and a replay button.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { ErrorNote, Field, Submit } from "../ui/forms";
import { DataTable } from "../ui/data-table";
import { Empty, StatusBadge } from "../ui/layout";
import { SecretOnce } from "./secret-once";

interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
}
interface Delivery {
  id: string;
  event: string;
  status: string;
  attempts: number;
  response_code: number | null;
  latency_ms: number | null;
  error: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

const EVENTS = ["user.created", "user.updated", "program.enrolled", "program.completed", "message.received", "escalation.created", "conversation.resolved", "rating.received"];

export function Webhooks() {
  const qc = useQueryClient();
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const hooks = useQuery({ queryKey: ["webhooks"], queryFn: () => api<{ webhooks: Webhook[] }>("/api/v1/webhooks").then((r) => r.webhooks) });
  const done = () => qc.invalidateQueries({ queryKey: ["webhooks"] });
  const create = useMutation({ mutationFn: (body: unknown) => api<Webhook & { secret: string }>("/api/v1/webhooks", { json: body }), onSuccess: done });
  const update = useMutation({ mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) => api(`/api/v1/webhooks/${id}`, { method: "PUT", json: { enabled } }), onSuccess: done });
  const rotate = useMutation({ mutationFn: (id: string) => api<{ secret: string }>(`/api/v1/webhooks/${id}/rotate-secret`, { method: "POST" }), onSuccess: (r) => setSecret(r.secret) });
  const remove = useMutation({ mutationFn: (id: string) => api(`/api/v1/webhooks/${id}`, { method: "DELETE" }), onSuccess: done });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const description = String(data.get("description") ?? "").trim();
    create.mutate(
      { url: String(data.get("url") ?? ""), events: data.getAll("events").map(String), ...(description && { description }) },
      {
        onSuccess: (w) => {
          setSecret(w.secret);
          form.reset();
        },
      },
    );
  };
  return (
    <section className="card" aria-labelledby="hooks-title">
      <h2 id="hooks-title">Outgoing webhooks</h2>
      <p className="muted">
        EdgeCoach POSTs each chosen event to your URL, signed the Standard Webhooks way (headers <code>webhook-id</code>, <code>webhook-timestamp</code>,{" "}
        <code>webhook-signature</code>); failures are retried.
      </p>
      {secret && <SecretOnce label="Signing secret" value={secret} onDone={() => setSecret(null)} />}
      <form onSubmit={submit} aria-label="Add a webhook endpoint">
        <Field label="Endpoint URL" name="url" type="url" required placeholder="https://example.com/hooks/edgecoach" />
        <fieldset className="checks">
          <legend>Events</legend>
          {EVENTS.map((ev) => (
            <label key={ev}>
              <input type="checkbox" name="events" value={ev} defaultChecked={ev === "escalation.created"} /> {ev}
            </label>
          ))}
        </fieldset>
        <Field label="Description (optional)" name="description" maxLength={500} />
        <ErrorNote error={create.error} />
        <Submit busy={create.isPending}>Add endpoint</Submit>
      </form>
      <ErrorNote error={hooks.error ?? update.error ?? rotate.error ?? remove.error} />
      {hooks.data?.length ? (
        <ul className="hook-list">
          {hooks.data.map((w) => (
            <li key={w.id} className="card">
              <p>
                <code className="wrap">{w.url}</code> <StatusBadge status={w.enabled ? "enabled" : "disabled"} />
                {w.disabled_reason && <span className="muted"> ({w.disabled_reason})</span>}
                <br />
                <span className="muted">{w.events.join(", ")}</span>
                {w.description && (
                  <>
                    <br />
                    {w.description}
                  </>
                )}
              </p>
              <div className="toolbar" role="group" aria-label={`Actions for ${w.url}`}>
                <button type="button" onClick={() => update.mutate({ id: w.id, enabled: !w.enabled })}>
                  {w.enabled ? "Disable" : "Enable"}
                </button>
                <button type="button" onClick={() => rotate.mutate(w.id)}>
                  Rotate secret
                </button>
                <button type="button" aria-expanded={open === w.id} onClick={() => setOpen(open === w.id ? null : w.id)}>
                  Delivery log
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={() => {
                    if (confirm(`Delete the endpoint ${w.url}?`)) remove.mutate(w.id);
                  }}
                >
                  Delete
                </button>
              </div>
              {open === w.id && <Deliveries webhookId={w.id} />}
            </li>
          ))}
        </ul>
      ) : (
        <Empty>{hooks.isPending ? "Loading…" : "No endpoint yet."}</Empty>
      )}
    </section>
  );
}

function Deliveries({ webhookId }: { webhookId: string }) {
  const qc = useQueryClient();
  const log = useQuery({
    queryKey: ["webhooks", webhookId, "deliveries"],
    queryFn: () => api<{ deliveries: Delivery[] }>(`/api/v1/webhooks/${webhookId}/deliveries?limit=50`).then((r) => r.deliveries),
    // While a delivery is under way its row changes within seconds (like a processing document).
    refetchInterval: (q) => (q.state.data?.some((d) => d.status === "pending" || d.status === "delivering" || d.status === "retrying") ? 2000 : false),
  });
  const replay = useMutation({
    mutationFn: (id: string) => api(`/api/v1/webhooks/${webhookId}/deliveries/${id}/replay`, { method: "POST" }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["webhooks", webhookId, "deliveries"] }),
  });
  return (
    <>
      <ErrorNote error={log.error ?? replay.error} />
      <DataTable
        label="Deliveries"
        caption="Deliveries, newest first"
        rows={log.data}
        rowKey={(d) => d.id}
        empty={log.isPending ? "Loading…" : "No delivery yet: events appear here as they are sent."}
        columns={[
          { header: "Event", cell: (d) => d.event },
          {
            header: "Status",
            cell: (d) => (
              <>
                <StatusBadge status={d.status} />
                {d.error && <div className="muted">{d.error}</div>}
              </>
            ),
          },
          { header: "Attempts", cell: (d) => d.attempts },
          { header: "Response", cell: (d) => (d.response_code ? `${d.response_code}${d.latency_ms !== null ? ` · ${d.latency_ms} ms` : ""}` : "—") },
          { header: "When", cell: (d) => new Date(d.created_at).toLocaleString() },
          {
            header: "Actions",
            hideHeader: true,
            cell: (d) => (
              <button type="button" onClick={() => replay.mutate(d.id)} disabled={replay.isPending}>
                Replay
              </button>
            ),
          },
        ]}
      />
    </>
  );
}
