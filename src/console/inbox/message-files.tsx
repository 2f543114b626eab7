// Files in the inbox: a message's attachments (image previews, voice-note players, download buttons)
// and the files an agent attaches to a reply (uploaded with the member's token, removable until sent).
// Conversation files are served to a bearer only, so they are fetched and shown as blob URLs.
import { useEffect, useRef, useState } from "react";
import { api, apiBlob, errorText } from "../api/client";
import type { MessageFile } from "../api/types";

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A blob URL of a bearer-only file, revoked when the component goes; null until loaded (or on failure). */
function useBlobUrl(path: string): { url: string | null; error: string | null } {
  const [state, setState] = useState<{ url: string | null; error: string | null }>({ url: null, error: null });
  useEffect(() => {
    const abort = new AbortController();
    let url: string | null = null;
    apiBlob(path, abort.signal).then(
      (blob) => {
        url = URL.createObjectURL(blob);
        setState({ url, error: null });
      },
      (err: unknown) => {
        if (!abort.signal.aborted) setState({ url: null, error: errorText(err) });
      },
    );
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [path]);
  return state;
}

function DownloadButton({ file }: { file: MessageFile }) {
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    try {
      const url = URL.createObjectURL(await apiBlob(file.download_url));
      const a = document.createElement("a");
      a.href = url;
      a.download = file.name;
      a.click();
      // The click has started the download; the URL can go once the browser took it.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <>
      <button type="button" className="file" onClick={() => void download()}>
        <span className="visually-hidden">Download </span>
        {file.name} · {humanSize(file.size)}
      </button>
      {error && <span role="alert" className="error-note">{error}</span>}
    </>
  );
}

function Preview({ file }: { file: MessageFile }) {
  const { url, error } = useBlobUrl(file.download_url);
  if (error) return <span className="muted">Preview unavailable: {error}</span>;
  if (!url) return <span className="muted">Loading {file.name}…</span>;
  if (file.content_type.startsWith("audio/")) return <audio controls src={url} aria-label={`Play ${file.name}`} />;
  return <img className="preview" src={url} alt={file.name} />;
}

// Raster images and audio are shown in place; SVG never reaches here (the API refuses active content).
const shownInPlace = (type: string) => /^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(type) || type.startsWith("audio/");

/** A message's attachments, in the order they were attached. */
export function MessageFiles({ files }: { files: MessageFile[] }) {
  return (
    <ul className="files" aria-label="Files">
      {files.map((f) => (
        <li key={f.id}>
          {shownInPlace(f.content_type) && <Preview file={f} />}
          <DownloadButton file={f} />
        </li>
      ))}
    </ul>
  );
}

interface Staged {
  key: string;
  name: string;
  size: number;
  /** The stored file's id once uploaded. */
  id?: string;
  error?: string;
}

/** The reply's files: each is uploaded as soon as it is chosen; `ids` is null while one is still uploading. */
export function useReplyFiles(conversationId: string) {
  const [staged, setStaged] = useState<Staged[]>([]);
  const seq = useRef(0);
  const update = (key: string, patch: Partial<Staged>) => setStaged((cur) => cur.map((s) => (s.key === key ? { ...s, ...patch } : s)));
  const add = (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) {
      const key = `f${seq.current++}`;
      setStaged((cur) => [...cur, { key, name: file.name, size: file.size }]);
      const body = new FormData();
      body.append("files", file, file.name);
      api<{ files: { id: string }[] }>(`/api/v1/conversations/${conversationId}/files`, { method: "POST", body }).then(
        (res) => update(key, { id: res.files[0]!.id }),
        (err: unknown) => update(key, { error: errorText(err) }),
      );
    }
  };
  /** Unstaging an uploaded file deletes it: a file nobody sent doesn't stay in the conversation. */
  const remove = (key: string) => {
    const s = staged.find((x) => x.key === key);
    setStaged((cur) => cur.filter((x) => x.key !== key));
    if (s?.id) void api(`/api/v1/conversations/${conversationId}/files/${s.id}`, { method: "DELETE" }).catch(() => undefined);
  };
  const pending = staged.some((s) => !s.id && !s.error);
  const ids = pending ? null : staged.filter((s) => s.id).map((s) => s.id!);
  return { staged, add, remove, ids, clear: () => setStaged([]) };
}

export function ReplyFiles({ files, disabled }: { files: ReturnType<typeof useReplyFiles>; disabled: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="reply-files">
      <input
        ref={input}
        id="reply-files"
        type="file"
        multiple
        className="visually-hidden"
        // The button below is the way in (by keyboard too); the input stays out of the tab order.
        aria-label="Attach files"
        tabIndex={-1}
        disabled={disabled}
        onChange={(e) => {
          files.add(e.target.files);
          // The same file can be chosen again after removing it.
          e.target.value = "";
        }}
      />
      <button type="button" onClick={() => input.current?.click()} disabled={disabled}>
        Attach files
      </button>
      {files.staged.length > 0 && (
        <ul className="tray" aria-label="Files to send">
          {files.staged.map((s) => (
            <li key={s.key} className="chip">
              <span>
                {s.name} · {humanSize(s.size)}
              </span>{" "}
              {s.error ? (
                <span role="alert" className="field-error">
                  could not be attached: {s.error}
                </span>
              ) : s.id ? (
                <span className="muted">ready</span>
              ) : (
                <span className="muted" role="status">
                  uploading…
                </span>
              )}{" "}
              <button type="button" onClick={() => files.remove(s.key)} aria-label={`Remove ${s.name}`}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
