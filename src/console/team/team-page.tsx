// Team and settings: members (invite, change role, remove), the profile, GDPR export and account deletion.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, setSession } from "../api/client";
import type { Member } from "../api/types";
import { useMe } from "../auth/session";
import { ErrorNote, Field, formValues, Select, Submit, TextArea } from "../ui/forms";
import { DataTable } from "../ui/data-table";
import { Page, StatusBadge } from "../ui/layout";

interface Profile {
  full_name: string;
  company_name: string | null;
  timezone: string;
  bio: string | null;
  website_url: string | null;
}

export default function TeamPage() {
  const me = useMe();
  const admin = me.member.role === "owner" || me.member.role === "admin";
  return (
    <Page title="Team & account">
      <Members canManage={admin} myId={me.member.id} />
      {admin && <ProfileForm />}
      {me.member.role === "owner" && <DataControls />}
    </Page>
  );
}

function Members({ canManage, myId }: { canManage: boolean; myId: string }) {
  const qc = useQueryClient();
  const members = useQuery({ queryKey: ["team"], queryFn: () => api<{ members: Member[] }>("/api/v1/team/members").then((r) => r.members) });
  const done = () => qc.invalidateQueries({ queryKey: ["team"] });
  const invite = useMutation({
    mutationFn: (body: Record<string, string>) => api<Member>("/api/v1/team/members", { json: body }),
    onSuccess: done,
  });
  const change = useMutation({
    mutationFn: ({ id, role }: { id: string; role: string }) => api(`/api/v1/team/members/${id}`, { method: "PUT", json: { role } }),
    onSuccess: done,
  });
  const remove = useMutation({ mutationFn: (id: string) => api(`/api/v1/team/members/${id}`, { method: "DELETE" }), onSuccess: done });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    invite.mutate(formValues(form), { onSuccess: () => form.reset() });
  };
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Team members</h2>
      <ErrorNote error={members.error ?? change.error ?? remove.error} />
      <DataTable
        label="Team members"
        rows={members.data}
        rowKey={(m) => m.id}
        empty={members.isPending ? "Loading…" : "No member."}
        columns={[
          { header: "Name", cell: (m) => m.full_name },
          { header: "Email", cell: (m) => m.email },
          {
            header: "Role",
            cell: (m) =>
              canManage && m.role !== "owner" && m.id !== myId ? (
                <select aria-label={`Role of ${m.full_name}`} value={m.role} onChange={(e) => change.mutate({ id: m.id, role: e.target.value })}>
                  <option value="admin">admin</option>
                  <option value="agent">agent</option>
                </select>
              ) : (
                m.role
              ),
          },
          { header: "Status", cell: (m) => <StatusBadge status={m.status} /> },
          ...(canManage
            ? [
                {
                  header: "Actions",
                  hideHeader: true,
                  cell: (m: Member) =>
                    m.role !== "owner" &&
                    m.id !== myId && (
                      <button type="button" className="danger" aria-label={`Remove ${m.full_name}`} onClick={() => confirm(`Remove ${m.full_name}?`) && remove.mutate(m.id)}>
                        Remove
                      </button>
                    ),
                },
              ]
            : []),
        ]}
      />
      {canManage && (
        <form onSubmit={submit} className="inline-form" aria-label="Invite a member">
          <Field label="Name" name="full_name" required />
          <Field label="Email" name="email" type="email" required />
          <Select label="Role" name="role" defaultValue="agent">
            <option value="agent">Agent (answers conversations)</option>
            <option value="admin">Admin (manages everything)</option>
          </Select>
          <Submit busy={invite.isPending}>Send invitation</Submit>
        </form>
      )}
      <ErrorNote error={invite.error} />
      {invite.isSuccess && <p role="status">Invitation sent to {invite.data.email}.</p>}
    </section>
  );
}

function ProfileForm() {
  const qc = useQueryClient();
  const profile = useQuery({ queryKey: ["profile"], queryFn: () => api<Profile>("/api/v1/creators/profile") });
  const save = useMutation({
    mutationFn: (body: Partial<Profile>) => api<Profile>("/api/v1/creators/profile", { method: "PUT", json: body }),
    onSuccess: (p) => {
      qc.setQueryData(["profile"], p);
      void qc.invalidateQueries({ queryKey: ["me"] });
    },
  });
  const p = profile.data;
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <ErrorNote error={profile.error} />
      {p && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const v = formValues(e.currentTarget);
            save.mutate({ full_name: v.full_name, company_name: v.company_name || null, timezone: v.timezone, bio: v.bio || null, website_url: v.website_url || null });
          }}
        >
          <Field label="Name" name="full_name" defaultValue={p.full_name} required />
          <Field label="Business name" name="company_name" defaultValue={p.company_name ?? ""} />
          <Field label="Time zone" name="timezone" defaultValue={p.timezone} hint="An IANA name like Europe/Paris." />
          <Field label="Website" name="website_url" type="url" defaultValue={p.website_url ?? ""} />
          <TextArea label="Bio" name="bio" defaultValue={p.bio ?? ""} rows={3} maxLength={2000} />
          <ErrorNote error={save.error} />
          <Submit busy={save.isPending}>Save profile</Submit> {save.isSuccess && <span role="status">Saved</span>}
        </form>
      )}
    </section>
  );
}

function DataControls() {
  const [password, setPassword] = useState("");
  const exportData = useMutation({
    mutationFn: () => api<unknown>("/api/v1/auth/gdpr/data-export"),
    onSuccess: (data) => {
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = "edgecoach-export.json";
      a.click();
      URL.revokeObjectURL(url);
    },
  });
  const erase = useMutation({
    mutationFn: () => api("/api/v1/auth/gdpr/data-deletion", { json: { password } }),
    onSuccess: () => setSession(null),
  });
  return (
    <section className="card" aria-labelledby="data-title">
      <h2 id="data-title">Your data</h2>
      <p>Download everything EdgeCoach holds for your workspace as JSON.</p>
      <button type="button" onClick={() => exportData.mutate()} disabled={exportData.isPending}>
        Export my data
      </button>
      <ErrorNote error={exportData.error} />
      <h3 style={{ marginTop: "1.5rem" }}>Delete the account</h3>
      <p>This erases the workspace, its knowledge, conversations and end users. It can't be undone.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (confirm("Delete the account and all its data for good?")) erase.mutate();
        }}
      >
        <Field label="Your password, to confirm" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        <button type="submit" className="danger" disabled={erase.isPending}>
          Delete account
        </button>
      </form>
      <ErrorNote error={erase.error} />
    </section>
  );
}
