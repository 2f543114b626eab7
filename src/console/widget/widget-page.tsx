// Widget: the configuration form, the real widget previewed beside it, allowed origins, and the
// embed code with a copy button.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { WidgetConfig } from "../api/types";
import { ErrorNote, Field, formValues, Select, Submit, TextArea } from "../ui/forms";
import { Page } from "../ui/layout";

const LANGUAGES = [
  ["en", "English"],
  ["es", "Español"],
  ["fr", "Français"],
  ["de", "Deutsch"],
  ["pt", "Português"],
  ["it", "Italiano"],
] as const;

export function useWidgetConfig() {
  return useQuery({ queryKey: ["widget-config"], queryFn: () => api<WidgetConfig>("/api/v1/creators/widget/config") });
}

/** The preview loads the widget script from this very origin, so it works wherever the console is served. */
function previewDoc(widgetKey: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget preview</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:0;padding:1rem;color:#1f2937;background:#f9fafb}</style></head>
<body><h1 style="font-size:1.1rem">Your page</h1><p>This is how visitors see the assistant. Open it from the corner and try it.</p>
<script src="${location.origin}/widget.js" data-widget-key="${widgetKey}" async></script></body></html>`;
}

export default function WidgetPage() {
  const config = useWidgetConfig();
  const qc = useQueryClient();
  const [copied, setCopied] = useState(false);
  const save = useMutation({
    mutationFn: (body: Partial<WidgetConfig>) => api<WidgetConfig>("/api/v1/creators/widget/config", { method: "PUT", json: body }),
    onSuccess: (data) => qc.setQueryData(["widget-config"], data),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    save.mutate({
      title: v.title,
      color: v.color,
      position: v.position as WidgetConfig["position"],
      welcome_message: v.welcome_message,
      launcher_text: v.launcher_text,
      language: v.language,
      allowed_origins: (v.allowed_origins ?? "")
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    });
  };
  const copy = async () => {
    if (!config.data) return;
    await navigator.clipboard.writeText(config.data.embed_code);
    setCopied(true);
    setTimeout(() => setCopied(false), 3000);
  };
  const c = config.data;
  return (
    <Page title="Widget">
      <ErrorNote error={config.error} />
      {c && (
        <div className="grid-2">
          <div>
            <section className="card" aria-labelledby="embed-title">
              <h2 id="embed-title">Embed code</h2>
              <p>Paste this before the closing &lt;/body&gt; tag of every page that should show the assistant.</p>
              <pre className="code" data-testid="embed-code">{c.embed_code}</pre>
              <button type="button" className="primary" onClick={() => void copy()}>
                Copy embed code
              </button>{" "}
              <span role="status">{copied ? "Copied to the clipboard" : ""}</span>
            </section>
            <section className="card" aria-labelledby="config-title">
              <h2 id="config-title">Look and behaviour</h2>
              <form onSubmit={submit} key={c.updated_at}>
                <Field label="Title" name="title" defaultValue={c.title} required maxLength={100} />
                <Field label="Colour" name="color" type="color" defaultValue={c.color} />
                <Select label="Position" name="position" defaultValue={c.position}>
                  <option value="bottom-right">Bottom right</option>
                  <option value="bottom-left">Bottom left</option>
                </Select>
                <TextArea label="Welcome message" name="welcome_message" defaultValue={c.welcome_message} required maxLength={500} rows={2} />
                <Field label="Launcher text" name="launcher_text" defaultValue={c.launcher_text} required maxLength={40} />
                <Select label="Language" name="language" defaultValue={c.language}>
                  {LANGUAGES.map(([tag, name]) => (
                    <option key={tag} value={tag}>
                      {name}
                    </option>
                  ))}
                </Select>
                <TextArea
                  label="Allowed origins"
                  name="allowed_origins"
                  defaultValue={c.allowed_origins.join("\n")}
                  rows={3}
                  hint="One per line, like https://www.example.com. Empty: any site may embed the widget."
                />
                <ErrorNote error={save.error} />
                <Submit busy={save.isPending}>Save</Submit> {save.isSuccess && <span role="status">Saved</span>}
              </form>
            </section>
          </div>
          <section className="card" aria-labelledby="preview-title">
            <h2 id="preview-title">Live preview</h2>
            <iframe key={c.updated_at} title="Widget preview" className="preview-frame" srcDoc={previewDoc(c.widget_key)} />
            {c.allowed_origins.length > 0 && !c.allowed_origins.includes(location.origin) && (
              <p className="muted">The preview runs on {location.origin}, which your allowed origins don't include: it can't open a chat.</p>
            )}
          </section>
        </div>
      )}
    </Page>
  );
}
