// The assistant persona (GET/PUT /api/v1/creators/assistant): name, tone, language, instructions,
// greeting, fallback message and the handover threshold.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { ErrorNote, Field, Select, Submit, TextArea } from "../ui/forms";

interface Persona {
  name: string;
  tone: string;
  language: string | null;
  instructions: string;
  fallback_message: string | null;
  handover_threshold: number;
  greeting: string | null;
}
const TONES = ["friendly", "professional", "motivating", "concise", "playful"];

export function PersonaForm() {
  const qc = useQueryClient();
  const [saved, setSaved] = useState(false);
  const persona = useQuery({ queryKey: ["assistant"], queryFn: () => api<Persona>("/api/v1/creators/assistant") });
  const save = useMutation({
    mutationFn: (body: Partial<Persona>) => api<Persona>("/api/v1/creators/assistant", { method: "PUT", json: body }),
    onSuccess: (p) => {
      qc.setQueryData(["assistant"], p);
      setSaved(true);
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    const text = (k: string) => String(d.get(k) ?? "").trim();
    setSaved(false);
    save.mutate({
      name: text("name"),
      tone: text("tone"),
      language: text("language") || null,
      instructions: text("instructions"),
      greeting: text("greeting") || null,
      fallback_message: text("fallback_message") || null,
      handover_threshold: Number(text("handover_threshold")) / 100,
    });
  };
  const p = persona.data;
  return (
    <section className="card" aria-labelledby="persona-title">
      <h2 id="persona-title">Assistant</h2>
      <ErrorNote error={persona.error} />
      {p && (
        <form onSubmit={submit} key={JSON.stringify(p)} aria-label="Assistant persona">
          <div className="grid-2">
            <Field label="Name" name="name" defaultValue={p.name} required maxLength={60} />
            <Select label="Tone" name="tone" defaultValue={p.tone}>
              {TONES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </Select>
          </div>
          <Field label="Language" name="language" defaultValue={p.language ?? ""} placeholder="en, pt-BR…" hint="Empty: answer in the language of the question." pattern="[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*" />
          <TextArea label="Instructions" name="instructions" defaultValue={p.instructions} rows={4} maxLength={2000} hint="Your own instructions; the platform's rules always come first." />
          <Field label="Greeting" name="greeting" defaultValue={p.greeting ?? ""} maxLength={500} hint="The first message of a new conversation (empty: none)." />
          <Field label="Fallback message" name="fallback_message" defaultValue={p.fallback_message ?? ""} maxLength={500} hint="Said when your knowledge doesn't answer." />
          <Field
            label="Hand over below this confidence (%)"
            name="handover_threshold"
            type="number"
            min={0}
            max={100}
            step={1}
            defaultValue={Math.round(p.handover_threshold * 100)}
            hint="0 = never hand over on low confidence."
          />
          <ErrorNote error={save.error} />
          <Submit busy={save.isPending}>Save assistant</Submit> <span role="status">{saved ? "Saved" : ""}</span>
        </form>
      )}
    </section>
  );
}
