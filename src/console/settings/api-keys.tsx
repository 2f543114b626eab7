// API keys: create (the key shown once), list with scopes and last use, revoke.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { ErrorNote, Field, Submit } from "../ui/forms";
import { DataTable } from "../ui/data-table";
import { SecretOnce } from "./secret-once";

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const SCOPES: [string, string][] = [
  ["read", "Read everything"],
  ["write", "Write"],
  ["conversations", "Conversations"],
  ["knowledge", "Knowledge (bases, documents, search)"],
  ["analytics", "Analytics (read)"],
];
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

export function ApiKeys() {
  const qc = useQueryClient();
  const [created, setCreated] = useState<string | null>(null);
  const keys = useQuery({ queryKey: ["api-keys"], queryFn: () => api<{ api_keys: ApiKey[] }>("/api/v1/api-keys").then((r) => r.api_keys) });
  const done = () => qc.invalidateQueries({ queryKey: ["api-keys"] });
  const create = useMutation({ mutationFn: (body: unknown) => api<ApiKey & { key: string }>("/api/v1/api-keys", { json: body }), onSuccess: done });
  const revoke = useMutation({ mutationFn: (id: string) => api(`/api/v1/api-keys/${id}`, { method: "DELETE" }), onSuccess: done });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const expires = String(data.get("expires") ?? "");
    create.mutate(
      { name: String(data.get("name") ?? ""), scopes: data.getAll("scopes").map(String), ...(expires && { expires_at: new Date(`${expires}T23:59:59Z`).toISOString() }) },
      {
        onSuccess: (k) => {
          setCreated(k.key);
          form.reset();
        },
      },
    );
  };
  const live = keys.data?.filter((k) => !k.revoked_at) ?? [];
  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p className="muted">For scripts and integrations (header <code>X-API-Key</code>). A key never manages members, keys or the plan.</p>
      {created && <SecretOnce label="Your new API key" value={created} onDone={() => setCreated(null)} />}
      <form onSubmit={submit} aria-label="Create an API key">
        <Field label="Name" name="name" required maxLength={100} placeholder="Zapier import" />
        <fieldset className="checks">
          <legend>Scopes</legend>
          {SCOPES.map(([s, l]) => (
            <label key={s}>
              <input type="checkbox" name="scopes" value={s} defaultChecked={s === "read"} /> {l}
            </label>
          ))}
        </fieldset>
        <Field label="Expires (optional)" name="expires" type="date" />
        <ErrorNote error={create.error} />
        <Submit busy={create.isPending}>Create key</Submit>
      </form>
      <ErrorNote error={keys.error ?? revoke.error} />
      <DataTable
        label="API keys"
        rows={live}
        rowKey={(k) => k.id}
        empty={keys.isPending ? "Loading…" : "No API key yet."}
        columns={[
          { header: "Name", cell: (k) => k.name },
          { header: "Key", cell: (k) => <code>{k.prefix}…</code> },
          { header: "Scopes", cell: (k) => k.scopes.join(", ") },
          { header: "Last used", cell: (k) => when(k.last_used_at) },
          { header: "Expires", cell: (k) => when(k.expires_at) },
          {
            header: "Actions",
            hideHeader: true,
            cell: (k) => (
              <button
                type="button"
                className="danger"
                onClick={() => {
                  if (confirm(`Revoke "${k.name}"? Anything using it stops working at once.`)) revoke.mutate(k.id);
                }}
              >
                Revoke<span className="visually-hidden"> {k.name}</span>
              </button>
            ),
          },
        ]}
      />
    </section>
  );
}
