// Programs: the list, and a new program (it opens in the builder with a three-step starter).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../api/client";
import type { Program } from "../api/types";
import { ErrorNote, Field, formValues, Submit } from "../ui/forms";
import { DataTable } from "../ui/data-table";
import { Page, StatusBadge } from "../ui/layout";
import { starterFlow } from "./flow-mapping";
import { programKeys, usePrograms } from "./queries";

export default function ProgramsPage() {
  const programs = usePrograms();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const create = useMutation({
    mutationFn: (name: string) => api<Program>("/api/v1/programs", { json: { name, flow_definition: starterFlow() } }),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: programKeys.all });
      navigate(`/programs/${p.id}`);
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    create.mutate(formValues(e.currentTarget).name!);
  };
  return (
    <Page title="Programs">
      <p className="lead">Programs send a sequence of messages, questions and waits to the people who enrol.</p>
      <section className="card" aria-labelledby="new-program">
        <h2 id="new-program">New program</h2>
        <form className="inline-form" onSubmit={submit}>
          <Field label="Program name" name="name" required maxLength={200} />
          <Submit busy={create.isPending}>Create and open the builder</Submit>
        </form>
        <ErrorNote error={create.error} />
      </section>
      <section aria-labelledby="program-list">
        <h2 id="program-list">All programs</h2>
        <ErrorNote error={programs.error} />
        <DataTable
          className="card"
          label="Programs"
          rows={programs.data?.programs}
          rowKey={(p) => p.id}
          empty={programs.isPending ? "Loading…" : "No program yet."}
          columns={[
            { header: "Name", cell: (p) => <Link href={`/programs/${p.id}`}>{p.name}</Link> },
            { header: "Status", cell: (p) => <StatusBadge status={p.status} /> },
            { header: "Version", cell: (p) => `v${p.version}${p.published_version ? ` (live: v${p.published_version})` : ""}` },
            { header: "Enrolments", cell: (p) => p.enrollment_count },
            { header: "Completion", cell: (p) => `${Math.round(p.completion_rate * 100)}%` },
          ]}
        />
      </section>
    </Page>
  );
}
