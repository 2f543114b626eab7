// Knowledge: the list of knowledge bases, and one base with its documents, playground and search.
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useParams, useSearch } from "wouter";
import { api } from "../api/client";
import type { AiAnswer, SearchHit } from "../api/types";
import { ErrorNote, Field, formValues, Select, Submit, TextArea } from "../ui/forms";
import { DataTable } from "../ui/data-table";
import { Empty, Page, StatusBadge } from "../ui/layout";
import { useCreateKnowledgeBase, useDocumentAction, useDocuments, useKnowledgeBase, useKnowledgeBases, useUpdateKnowledgeBase } from "./queries";
import { Uploader } from "./uploader";

const kb = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

export function KnowledgeList() {
  const bases = useKnowledgeBases();
  const create = useCreateKnowledgeBase();
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    create.mutate({ name: v.name!, audience: v.audience === "internal" ? "internal" : "public", ...(v.description ? { description: v.description } : {}) });
    e.currentTarget.reset();
  };
  // Arriving from a knowledge gap (Analytics): what visitors asked, so the next document answers it.
  const gap = new URLSearchParams(useSearch()).get("gap");
  return (
    <Page title="Knowledge">
      <p className="lead">Your assistant answers from the documents in your knowledge bases.</p>
      {gap && (
        <p className="card notice" role="note" data-testid="gap-note">
          Visitors asked “{gap.slice(0, 300)}” and got no answer. Open a public knowledge base below and upload a document that answers it.
        </p>
      )}
      <section className="card" aria-labelledby="new-kb">
        <h2 id="new-kb">New knowledge base</h2>
        <form onSubmit={submit} className="inline-form">
          <Field label="Name" name="name" required maxLength={200} />
          <Field label="Description (optional)" name="description" maxLength={2000} />
          <Select label="Who it answers" name="audience" defaultValue="public">
            <option value="public">Everyone (widget and channels)</option>
            <option value="internal">Internal (your team's API and playground)</option>
          </Select>
          <Submit busy={create.isPending}>Create</Submit>
        </form>
        <ErrorNote error={create.error} />
      </section>
      <section aria-labelledby="kb-list">
        <h2 id="kb-list">Knowledge bases</h2>
        {bases.isPending ? (
          <p>Loading…</p>
        ) : bases.data?.length ? (
          <ul className="cards">
            {bases.data.map((b) => (
              <li key={b.id} className="card">
                <h3>
                  <Link href={`/knowledge/${b.id}`}>{b.name}</Link>
                </h3>
                {b.description && <p>{b.description}</p>}
                <p className="muted">
                  {b.document_count} documents · {kb(b.total_size_bytes)}
                  {b.is_default ? " · default" : ""}
                  {b.audience === "internal" ? " · internal: never in visitors' answers" : " · public"}
                </p>
              </li>
            ))}
          </ul>
        ) : (
          <Empty>No knowledge base yet. Create one above, then drop your documents into it.</Empty>
        )}
        <ErrorNote error={bases.error} />
      </section>
    </Page>
  );
}

type Tab = "documents" | "playground" | "search";

export function KnowledgeBasePage() {
  const { id } = useParams<{ id: string }>();
  const base = useKnowledgeBase(id);
  const [tab, setTab] = useState<Tab>("documents");
  const tabs: { id: Tab; label: string }[] = [
    { id: "documents", label: "Documents" },
    { id: "playground", label: "Playground" },
    { id: "search", label: "Search" },
  ];
  return (
    <Page title={base.data?.name ?? "Knowledge base"}>
      <p>
        <Link href="/knowledge">← All knowledge bases</Link>
      </p>
      <ErrorNote error={base.error} />
      {base.data && <AudienceSetting kbId={id} audience={base.data.audience ?? "public"} />}
      <div role="tablist" aria-label="Knowledge base views" className="tabs">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => {
              const i = tabs.findIndex((x) => x.id === tab);
              const next = e.key === "ArrowRight" ? (i + 1) % tabs.length : e.key === "ArrowLeft" ? (i + tabs.length - 1) % tabs.length : -1;
              if (next >= 0) {
                setTab(tabs[next]!.id);
                document.getElementById(`tab-${tabs[next]!.id}`)?.focus();
              }
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "documents" && (
          <>
            <Uploader kbId={id} />
            <Documents kbId={id} />
          </>
        )}
        {tab === "playground" && <Playground kbId={id} />}
        {tab === "search" && <SearchView kbId={id} />}
      </div>
    </Page>
  );
}

/** Who the base answers, changeable after creation (PUT /api/v1/knowledge-bases/{id} {audience}). */
function AudienceSetting({ kbId, audience }: { kbId: string; audience: "public" | "internal" }) {
  const update = useUpdateKnowledgeBase(kbId);
  const [saved, setSaved] = useState<string | null>(null);
  return (
    <form
      className="inline-form card"
      aria-label="Who this knowledge base answers"
      onSubmit={(e) => {
        e.preventDefault();
        const next = formValues(e.currentTarget).audience === "internal" ? "internal" : "public";
        update.mutate({ audience: next }, { onSuccess: () => setSaved(next === "internal" ? "Now internal: visitors' answers no longer draw on it." : "Now public: the widget and channels answer from it.") });
      }}
    >
      <Select label="Who it answers" name="audience" defaultValue={audience} key={audience}>
        <option value="public">Everyone (widget and channels)</option>
        <option value="internal">Internal (your team's API and playground)</option>
      </Select>
      <Submit busy={update.isPending}>Save audience</Submit>
      <span role="status">{saved}</span>
      <ErrorNote error={update.error} />
    </form>
  );
}

function Documents({ kbId }: { kbId: string }) {
  const [search, setSearch] = useState("");
  const docs = useDocuments(kbId, search);
  const act = useDocumentAction(kbId);
  return (
    <section aria-labelledby="docs-title" className="card">
      <h2 id="docs-title">Documents</h2>
      <Field label="Search documents" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      <ErrorNote error={docs.error ?? act.error} />
      <DataTable
        label="Documents"
        rows={docs.data?.documents}
        rowKey={(d) => d.id}
        empty={docs.isPending ? "Loading…" : search ? "No document matches." : "No documents yet."}
        columns={[
          {
            header: "Title",
            cell: (d) => (
              <>
                {d.title}
                {d.error_message && <div className="field-error">{d.error_message}</div>}
              </>
            ),
          },
          { header: "Status", cell: (d) => <StatusBadge status={d.processing_status} /> },
          { header: "Size", cell: (d) => kb(d.file_size_bytes) },
          { header: "Chunks", cell: (d) => d.chunk_count },
          {
            header: "Actions",
            hideHeader: true,
            className: "actions",
            cell: (d) => (
              <>
                <button type="button" onClick={() => act.mutate({ id: d.id, action: "reprocess" })} aria-label={`Reprocess ${d.title}`}>
                  Reprocess
                </button>
                <button type="button" className="danger" aria-label={`Delete ${d.title}`} onClick={() => confirm(`Delete “${d.title}”?`) && act.mutate({ id: d.id, action: "delete" })}>
                  Delete
                </button>
              </>
            ),
          },
        ]}
      />
    </section>
  );
}

export function Playground({ kbId }: { kbId?: string }) {
  const ask = useMutation({
    mutationFn: (message: string) => api<AiAnswer>("/api/v1/ai/conversations", { json: { message, ...(kbId ? { knowledge_base_id: kbId } : {}) } }),
  });
  return (
    <section aria-labelledby="play-title" className="card">
      <h2 id="play-title">Try the assistant</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          ask.mutate(formValues(e.currentTarget).message!);
        }}
      >
        <TextArea label="Ask a question your audience would ask" name="message" required maxLength={4000} rows={3} />
        <Submit busy={ask.isPending}>Ask</Submit>
      </form>
      <ErrorNote error={ask.error} />
      {ask.data && (
        <div className="answer" aria-live="polite">
          <h3>Answer</h3>
          <p className="answer-text">{ask.data.response}</p>
          <p className="muted">
            Confidence <strong data-testid="confidence">{Math.round(ask.data.confidence * 100)}%</strong> · {ask.data.processing_time_ms} ms
          </p>
          <h3>Sources ({ask.data.sources.length})</h3>
          {ask.data.sources.length ? (
            <ol className="sources">
              {ask.data.sources.map((s, i) => (
                <li key={i}>
                  <strong>{String(s.metadata.document_title ?? s.metadata.title ?? "Source")}</strong> <span className="muted">({Math.round(s.similarity_score * 100)}%)</span>
                  <p>{s.content.slice(0, 300)}</p>
                </li>
              ))}
            </ol>
          ) : (
            <Empty>No source: the answer did not come from your documents.</Empty>
          )}
        </div>
      )}
    </section>
  );
}

function SearchView({ kbId }: { kbId: string }) {
  const search = useMutation({
    mutationFn: (query: string) => api<{ results: SearchHit[]; took_ms: number }>("/api/v1/ai/documents/search", { json: { query, knowledge_base_id: kbId, limit: 10 } }),
  });
  return (
    <section aria-labelledby="search-title" className="card">
      <h2 id="search-title">Search the knowledge base</h2>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          search.mutate(formValues(e.currentTarget).query!);
        }}
      >
        <Field label="Search for" name="query" type="search" required />
        <Submit busy={search.isPending}>Search</Submit>
      </form>
      <ErrorNote error={search.error} />
      {search.data &&
        (search.data.results.length ? (
          <ol className="sources">
            {search.data.results.map((r) => (
              <li key={r.chunk_id}>
                <strong>{r.document_title}</strong> {r.heading && <span className="muted">· {r.heading}</span>} <span className="muted">({r.score.toFixed(2)})</span>
                <p>{r.snippet}</p>
              </li>
            ))}
          </ol>
        ) : (
          <Empty>Nothing found.</Empty>
        ))}
    </section>
  );
}
