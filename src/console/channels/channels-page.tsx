// Channels: connect Telegram (a bot token) or WhatsApp (the Cloud API fields) with guided forms,
// see each channel's status and its numbers for the last 30 days.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { ChannelRow } from "../api/types";
import { ErrorNote, Field, formValues, Submit } from "../ui/forms";
import { Empty, Page, StatusBadge } from "../ui/layout";

interface Analytics {
  metrics: { total_messages?: number; unique_users?: number; new_users?: number; average_response_time_seconds?: number | null };
}

export default function ChannelsPage() {
  const qc = useQueryClient();
  const channels = useQuery({ queryKey: ["channels"], queryFn: () => api<{ channels: ChannelRow[] }>("/api/v1/channels").then((r) => r.channels) });
  const [kind, setKind] = useState<"telegram" | "whatsapp" | null>(null);
  const create = useMutation({
    mutationFn: (body: unknown) => api<ChannelRow>("/api/v1/channels", { json: body }),
    onSuccess: () => {
      setKind(null);
      void qc.invalidateQueries({ queryKey: ["channels"] });
    },
  });
  const toggle = useMutation({
    mutationFn: (c: ChannelRow) => api(`/api/v1/channels/${c.id}`, { method: "PUT", json: { status: c.status === "active" ? "inactive" : "active" } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["channels"] }),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const { channel_name, ...configuration } = formValues(e.currentTarget);
    for (const k of Object.keys(configuration)) if (!configuration[k]) delete configuration[k];
    create.mutate({ channel_type: kind, channel_name, configuration });
  };
  return (
    <Page title="Channels">
      <p className="lead">The widget is always on. Connect messaging apps so your audience can reach the assistant there too.</p>
      <div className="toolbar">
        <button type="button" onClick={() => setKind("telegram")} aria-pressed={kind === "telegram"}>
          Connect Telegram
        </button>
        <button type="button" onClick={() => setKind("whatsapp")} aria-pressed={kind === "whatsapp"}>
          Connect WhatsApp
        </button>
      </div>
      {kind && (
        <section className="card" aria-labelledby="connect-title">
          <h2 id="connect-title">{kind === "telegram" ? "Connect a Telegram bot" : "Connect a WhatsApp number"}</h2>
          <form onSubmit={submit}>
            <Field label="Channel name" name="channel_name" required defaultValue={kind === "telegram" ? "Telegram" : "WhatsApp"} />
            {kind === "telegram" ? (
              <Field label="Bot token" name="bot_token" required hint="In Telegram, talk to @BotFather, send /newbot, and paste the token it gives you (like 123456:ABC-DEF…)." />
            ) : (
              <>
                <Field label="Phone number" name="phone_number" required hint="In E.164 form, like +15550783881." />
                <Field label="Phone number ID" name="phone_number_id" required hint="WhatsApp Manager → API setup → Phone number ID." />
                <Field label="WhatsApp Business Account ID" name="business_account_id" required />
                <Field label="Access token" name="access_token" required hint="A permanent system-user token with whatsapp_business_messaging." />
                <Field label="App secret" name="app_secret" required hint="Meta app → Settings → Basic → App secret (signs every notification)." />
                <Field label="Webhook verify token" name="webhook_verify_token" required minLength={8} hint="Any phrase of 8+ characters; type the same one in the Meta webhook setup." />
              </>
            )}
            <Field label="Welcome message (optional)" name="welcome_message" />
            <ErrorNote error={create.error} />
            <Submit busy={create.isPending}>Connect</Submit>{" "}
            <button type="button" onClick={() => setKind(null)}>
              Cancel
            </button>
          </form>
        </section>
      )}
      <ErrorNote error={channels.error ?? toggle.error} />
      {channels.data?.length ? (
        <ul className="cards">
          {channels.data.map((c) => (
            <li key={c.id} className="card">
              <h2>
                {c.channel_name} <span className="muted">({c.channel_type})</span>
              </h2>
              <p>
                <StatusBadge status={c.status} /> {c.status_detail && <span className="muted">{c.status_detail}</span>}
              </p>
              <p className="muted">
                {c.user_count} users · last activity {c.last_activity_at ? new Date(c.last_activity_at).toLocaleString() : "never"}
              </p>
              <ChannelNumbers id={c.id} />
              <button type="button" onClick={() => toggle.mutate(c)}>
                {c.status === "active" ? "Pause" : "Resume"} {c.channel_name}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <Empty>{channels.isPending ? "Loading…" : "No messaging channel yet."}</Empty>
      )}
    </Page>
  );
}

function ChannelNumbers({ id }: { id: string }) {
  const a = useQuery({ queryKey: ["channels", id, "analytics"], queryFn: () => api<Analytics>(`/api/v1/channels/${id}/analytics`) });
  if (!a.data) return null;
  const m = a.data.metrics;
  return (
    <dl className="stats">
      <div className="stat">
        <dt>Messages (30 d)</dt>
        <dd>{m.total_messages ?? 0}</dd>
      </div>
      <div className="stat">
        <dt>Users</dt>
        <dd>{m.unique_users ?? 0}</dd>
      </div>
    </dl>
  );
}
