// Drag-and-drop (or pick) several files: they go up in batches with per-file progress, then each
// shows its processing status until it is completed or failed with the reason.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type DragEvent } from "react";
import { freshToken } from "../api/client";
import { StatusBadge } from "../ui/layout";
import { kbKeys, useDocuments } from "./queries";
import { applyBatchAnswer, failBatch, isSettling, mergeDocuments, newItems, planBatches, setUploadProgress, type BatchAnswer, type UploadItem } from "./upload-queue";

const ACCEPT = ".pdf,.txt,.md,.markdown,.html,.htm,.csv,.json,.docx";

/** XMLHttpRequest, because fetch can't report upload progress. */
async function sendBatch(kbId: string, files: File[], onProgress: (loaded: number, total: number) => void): Promise<BatchAnswer> {
  const token = await freshToken();
  const form = new FormData();
  for (const f of files) form.append("file", f, f.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/knowledge-bases/${kbId}/documents/batch`);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded, e.total);
    xhr.onerror = () => reject(new Error("The upload failed (network error)"));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        return reject(new Error(`The upload failed (${xhr.status})`));
      }
      if (xhr.status === 202) return resolve(body as BatchAnswer);
      const err = (body as { error?: { message?: string; details?: { message: string }[] } }).error;
      reject(new Error(err?.details?.[0]?.message ?? err?.message ?? `The upload failed (${xhr.status})`));
    };
    xhr.send(form);
  });
}

export function Uploader({ kbId }: { kbId: string }) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const qc = useQueryClient();
  const docs = useDocuments(kbId, "");
  const drops = useRef(0);

  useEffect(() => {
    if (docs.data) setItems((cur) => mergeDocuments(cur, docs.data.documents));
  }, [docs.data]);

  const upload = async (files: File[]) => {
    if (!files.length) return;
    const start = items.length;
    const added = newItems(files, `drop${drops.current++}`);
    setItems((cur) => [...cur, ...added]);
    for (const batch of planBatches(files.map((f) => f.size))) {
      const positions = batch.map((i) => start + i);
      try {
        const answer = await sendBatch(
          kbId,
          batch.map((i) => files[i]!),
          (loaded, total) => setItems((cur) => setUploadProgress(cur, positions, loaded, total)),
        );
        setItems((cur) => applyBatchAnswer(cur, positions, answer));
      } catch (err) {
        setItems((cur) => failBatch(cur, positions, (err as Error).message));
      }
      await qc.invalidateQueries({ queryKey: kbKeys.one(kbId) });
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void upload([...e.dataTransfer.files]);
  };

  return (
    <section aria-labelledby="upload-title" className="card">
      <h2 id="upload-title">Add documents</h2>
      <div
        className={over ? "dropzone over" : "dropzone"}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop PDF, Word, Markdown, HTML, CSV or text files here, or</p>
        <button type="button" onClick={() => input.current?.click()}>
          Choose files
        </button>
        <input
          ref={input}
          type="file"
          multiple
          accept={ACCEPT}
          className="visually-hidden"
          aria-label="Files to upload"
          tabIndex={-1}
          onChange={(e) => {
            void upload([...(e.target.files ?? [])]);
            e.target.value = "";
          }}
        />
      </div>
      {items.length > 0 && (
        <ul className="uploads" aria-label="Uploads" aria-live="polite">
          {items.map((item) => (
            <li key={item.key} data-state={item.state}>
              <span className="upload-name">{item.name}</span>
              <StatusBadge status={item.state} />
              <progress max={1} value={item.progress} aria-label={`${item.name}: ${item.state}`} />
              {item.error && <span className="field-error">{item.error}</span>}
            </li>
          ))}
        </ul>
      )}
      {isSettling(items) && <p className="muted">Processing starts as soon as a file is up; you can keep working.</p>}
    </section>
  );
}
