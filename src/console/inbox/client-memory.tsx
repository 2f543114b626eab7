// What the assistant remembers about the conversation's end user (the memory API of issue 17):
// each memory with its value, edit (stored again under the same type and key) and forget; add one.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { ErrorNote, Field, formValues, Select, Submit } from "../ui/forms";
import { Empty } from "../ui/layout";
import { parseValue, showValue } from "./memory-value";

export interface Memory {
  id: string;
  type: "short_term" | "long_term";
  key: string;
  value: unknown;
  metadata: Record<string, unknown>;
  expires_at: string | null;
}

const memoryKey = (userId: string) => ["memories", userId] as const;
export function ClientMemory({ userId, canWrite }: { userId: string; canWrite: boolean }) {
  const qc = useQueryClient();
  const memories = useQuery({ queryKey: memoryKey(userId), queryFn: () => api<{ memories: Memory[] }>(`/api/memory/memories/${userId}`).then((r) => r.memories) });
  const done = () => void qc.invalidateQueries({ queryKey: memoryKey(userId) });
  const store = useMutation({
    mutationFn: (m: { type: Memory["type"]; key: string; value: unknown }) => api("/api/memory/memories", { json: { user_id: userId, ...m } }),
    onSuccess: done,
  });
  const forget = useMutation({ mutationFn: (id: string) => api(`/api/memory/memories/${userId}/${id}`, { method: "DELETE" }), onSuccess: done });
  const [editing, setEditing] = useState<string | null>(null);

  const add = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    const form = e.currentTarget;
    store.mutate({ type: v.type === "short_term" ? "short_term" : "long_term", key: v.key!.trim(), value: parseValue(v.value!) }, { onSuccess: () => form.reset() });
  };
  return (
    <section className="memory" aria-labelledby="memory-title">
      <h3 id="memory-title">What the assistant remembers</h3>
      <ErrorNote error={memories.error ?? store.error ?? forget.error} />
      {memories.data?.length ? (
        <ul className="memory-list" aria-label="Memories">
          {memories.data.map((m) => (
            <li key={m.id}>
              {editing === m.id ? (
                <form
                  className="inline-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    store.mutate({ type: m.type, key: m.key, value: parseValue(formValues(e.currentTarget).value!) }, { onSuccess: () => setEditing(null) });
                  }}
                >
                  <Field label={`New value of ${m.key}`} name="value" defaultValue={showValue(m.value)} required maxLength={4000} autoFocus />
                  <Submit busy={store.isPending}>Save</Submit>
                  <button type="button" onClick={() => setEditing(null)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <>
                  <span className="memory-key">{m.key}</span> <span className="memory-value">{showValue(m.value)}</span>{" "}
                  <span className="muted">
                    {m.type === "short_term" ? "short term" : "long term"}
                    {typeof m.metadata.source === "string" ? ` · ${m.metadata.source}` : ""}
                  </span>
                  {canWrite && (
                    <span className="actions">
                      <button type="button" onClick={() => setEditing(m.id)} aria-label={`Edit ${m.key}`}>
                        Edit
                      </button>
                      <button type="button" className="danger" onClick={() => forget.mutate(m.id)} aria-label={`Forget ${m.key}`}>
                        Forget
                      </button>
                    </span>
                  )}
                </>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <Empty>{memories.isPending ? "Loading…" : "Nothing yet: goals, injuries or preferences the client mentions are kept here."}</Empty>
      )}
      {canWrite && (
        <details>
          <summary>Add a memory</summary>
          <form className="inline-form" onSubmit={add} aria-label="Add a memory">
            <Field label="Key" name="key" required maxLength={100} pattern="[A-Za-z0-9_.:\-]+" placeholder="goal, injury, timezone…" />
            <Field label="Value" name="value" required maxLength={4000} />
            <Select label="Kept" name="type" defaultValue="long_term">
              <option value="long_term">Long term</option>
              <option value="short_term">Short term</option>
            </Select>
            <Submit busy={store.isPending}>Remember</Submit>
          </form>
        </details>
      )}
    </section>
  );
}
