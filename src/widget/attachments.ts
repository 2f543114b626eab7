// Files in the widget: the paperclip (upload with the widget token, progress, errors), the tray of
// files waiting to be sent, and the attachments of messages in the transcript (image previews,
// download buttons). Downloads need the widget token, so they are fetched and shown as blob URLs.
import type { Attachment } from "../realtime/protocol";
import { fill } from "./i18n";

interface FileStrings {
  attach: string;
  /** "{name}" */
  remove: string;
  /** "{name}", "{n}" (percent) */
  uploading: string;
  /** "{name}", "{reason}" */
  failed: string;
  /** Read before a file's name and size on its download button (screen readers). */
  download: string;
  tray: string;
}

const FILE_STRINGS: Record<string, FileStrings> = {
  en: { attach: "Attach files", remove: "Remove {name}", uploading: "Uploading {name}: {n}%", failed: "{name} could not be sent: {reason}", download: "Download", tray: "Files to send" },
  es: { attach: "Adjuntar archivos", remove: "Quitar {name}", uploading: "Subiendo {name}: {n}%", failed: "No se pudo enviar {name}: {reason}", download: "Descargar", tray: "Archivos para enviar" },
  fr: { attach: "Joindre des fichiers", remove: "Retirer {name}", uploading: "Envoi de {name} : {n} %", failed: "{name} n'a pas pu être envoyé : {reason}", download: "Télécharger", tray: "Fichiers à envoyer" },
  de: { attach: "Dateien anhängen", remove: "{name} entfernen", uploading: "{name} wird hochgeladen: {n} %", failed: "{name} konnte nicht gesendet werden: {reason}", download: "Herunterladen", tray: "Zu sendende Dateien" },
  pt: { attach: "Anexar ficheiros", remove: "Remover {name}", uploading: "A enviar {name}: {n}%", failed: "Não foi possível enviar {name}: {reason}", download: "Transferir", tray: "Ficheiros a enviar" },
};

export const fileStringsFor = (language: string | null | undefined): FileStrings => FILE_STRINGS[(language ?? "").toLowerCase().split(/[-_]/)[0] ?? ""] ?? FILE_STRINGS.en!;

export interface FileContext {
  base: string;
  /** The live widget token and conversation, or null before the session exists. */
  credentials(): { token: string; conversationId: string } | null;
  /** A fresh widget token (the old one expired or was revoked). */
  renew(): Promise<void>;
  strings(): FileStrings;
  notify(text: string): void;
}

interface Staged {
  chip: HTMLElement;
  id?: string;
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

export const humanSize = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${Math.round(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

/** The paperclip, its hidden file input and the tray of staged files, for one widget. */
export class FilePicker {
  readonly button: HTMLButtonElement;
  readonly input: HTMLInputElement;
  readonly tray: HTMLElement;
  private staged: Staged[] = [];

  constructor(private readonly ctx: FileContext) {
    this.button = el("button", { type: "button", class: "clip" });
    this.button.innerHTML =
      '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M21 11.5l-8.6 8.6a5 5 0 01-7.1-7.1l8.6-8.6a3.3 3.3 0 014.7 4.7l-8.6 8.6a1.7 1.7 0 01-2.4-2.4l8-8"/></svg>';
    this.input = el("input", { type: "file", multiple: "", hidden: "", tabindex: "-1", "aria-hidden": "true" });
    this.tray = el("ul", { class: "tray", hidden: "" });
    this.button.addEventListener("click", () => this.input.click());
    this.input.addEventListener("change", () => {
      for (const file of Array.from(this.input.files ?? [])) void this.upload(file);
      this.input.value = "";
    });
    this.label();
  }

  label(): void {
    const t = this.ctx.strings();
    this.button.setAttribute("aria-label", t.attach);
    this.button.title = t.attach;
    this.tray.setAttribute("aria-label", t.tray);
  }

  /** Ids of the uploaded files, or null while one is still uploading. */
  ready(): string[] | null {
    if (this.staged.some((s) => !s.id && s.chip.classList.contains("busy"))) return null;
    return this.staged.flatMap((s) => (s.id ? [s.id] : []));
  }

  /** After a send: the tray empties. */
  clear(): void {
    this.staged = [];
    this.tray.replaceChildren();
    this.tray.hidden = true;
  }

  private async upload(file: File, retried = false): Promise<void> {
    const t = this.ctx.strings();
    const cred = this.ctx.credentials();
    if (!cred) return this.ctx.notify(fill(t.failed, { name: file.name, reason: "offline" }));
    const chip = el("li", { class: "chip busy" });
    const label = el("span", {}, file.name);
    const bar = el("progress", { max: "100", value: "0", "aria-label": fill(t.uploading, { name: file.name, n: 0 }) });
    chip.append(label, bar);
    const entry: Staged = { chip };
    this.staged.push(entry);
    this.tray.append(chip);
    this.tray.hidden = false;
    const drop = () => {
      this.staged = this.staged.filter((s) => s !== entry);
      chip.remove();
      this.tray.hidden = this.staged.length === 0;
    };
    // XMLHttpRequest: fetch has no upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${this.ctx.base}/api/v1/conversations/${cred.conversationId}/files`);
    xhr.setRequestHeader("Authorization", `Bearer ${cred.token}`);
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      const n = Math.round((e.loaded / e.total) * 100);
      bar.value = n;
      bar.setAttribute("aria-label", fill(t.uploading, { name: file.name, n }));
    };
    const done = new Promise<void>((resolve) => {
      xhr.onloadend = () => resolve();
    });
    const body = new FormData();
    body.append("files", file, file.name);
    xhr.send(body);
    await done;
    chip.classList.remove("busy");
    bar.remove();
    if (xhr.status === 401 && !retried) {
      drop();
      await this.ctx.renew();
      return this.upload(file, true);
    }
    if (xhr.status !== 201) {
      let reason = xhr.status ? `HTTP ${xhr.status}` : "network error";
      try {
        reason = (JSON.parse(xhr.responseText) as { error: { message: string } }).error.message;
      } catch {
        /* not our error body */
      }
      drop();
      return this.ctx.notify(fill(t.failed, { name: file.name, reason }));
    }
    const stored = (JSON.parse(xhr.responseText) as { files: { id: string; name: string; size: number }[] }).files[0]!;
    entry.id = stored.id;
    label.textContent = `${stored.name} · ${humanSize(stored.size)}`;
    const remove = el("button", { type: "button", class: "unstage", "aria-label": fill(t.remove, { name: stored.name }) }, "×");
    remove.addEventListener("click", () => {
      drop();
      this.button.focus();
    });
    chip.append(remove);
  }
}

/** A message's attachments in the transcript: image previews (fetched with the token) and download buttons. */
export function renderAttachments(ctx: FileContext, list: Attachment[]): HTMLElement {
  const box = el("ul", { class: "files" });
  const t = ctx.strings();
  for (const a of list) {
    const li = el("li");
    // The name is the visible text (with a hidden "Download" before it), so what is read is what is seen.
    const button = el("button", { type: "button", class: "file" });
    button.append(el("span", { class: "sr" }, `${t.download} `), el("span", {}, `${a.name} · ${humanSize(a.size)}`));
    let blob: Promise<Blob | null> | null = null;
    const fetchBlob = () =>
      (blob ??= (async () => {
        const cred = ctx.credentials();
        if (!cred) return null;
        const res = await fetch(`${ctx.base}${a.url}`, { headers: { Authorization: `Bearer ${cred.token}` } });
        return res.ok ? res.blob() : null;
      })().catch(() => null));
    if (/^image\/(png|jpeg|gif|webp)$/.test(a.contentType)) {
      // Decorative inside the button: the button's text already names the file.
      const img = el("img", { alt: "", class: "preview", width: "200", height: "150" });
      button.prepend(img);
      // A data: URL, not a blob: one: pages' CSPs (our /demo's too) allow `img-src data:` far more often.
      void fetchBlob().then((b) => {
        if (!b) return;
        const reader = new FileReader();
        reader.onload = () => (img.src = String(reader.result));
        reader.readAsDataURL(b);
      });
    }
    button.addEventListener("click", async () => {
      const b = await fetchBlob();
      if (!b) return ctx.notify(fill(t.failed, { name: a.name, reason: "download failed" }));
      const link = el("a", { href: URL.createObjectURL(b), download: a.name });
      link.click();
    });
    li.append(button);
    box.append(li);
  }
  return box;
}
