// `edgecoach kb upload`: one progress bar per file, from upload to the end of ingestion.
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { MultiBar, Presets } from "cli-progress";
import { parse, type Client } from "./client.ts";

interface Doc {
  id: string;
  processing_status: string;
  chunks_total?: number;
  chunks_done?: number;
  error_message?: string | null;
}

export interface UploadResult {
  file: string;
  document_id?: string;
  status: string;
  error?: string;
}

/** Uploads each file, then waits until every document is completed or failed (bars on a TTY only). */
export async function uploadFiles(client: Client, kbId: string, files: string[], opts: { wait: boolean; quiet: boolean; timeoutMs: number }): Promise<UploadResult[]> {
  const bars = !opts.quiet && process.stderr.isTTY ? new MultiBar({ format: " {bar} {percentage}% | {file} | {status}", hideCursor: true, clearOnComplete: false, stream: process.stderr }, Presets.shades_classic) : null;
  const results: UploadResult[] = [];
  const tracked: { result: UploadResult; bar?: ReturnType<MultiBar["create"]> }[] = [];
  for (const file of files) {
    const name = basename(file);
    const bar = bars?.create(100, 0, { file: name, status: "uploading" });
    const result: UploadResult = { file, status: "uploading" };
    results.push(result);
    try {
      statSync(file);
      const form = new FormData();
      form.append("file", new Blob([readFileSync(file)]), name);
      const doc = await parse<Doc>(await client.raw(`/api/v1/knowledge-bases/${kbId}/documents`, { method: "POST", body: form }));
      result.document_id = doc.id;
      result.status = doc.processing_status;
      // The upload is the first 20 %; ingestion (chunks embedded) the rest.
      bar?.update(20, { status: doc.processing_status });
      tracked.push({ result, bar });
    } catch (err) {
      result.status = "failed";
      result.error = (err as Error).message;
      bar?.update(100, { status: `failed: ${result.error}` });
    }
  }
  const deadline = Date.now() + opts.timeoutMs;
  while (opts.wait && tracked.some((t) => !["completed", "failed"].includes(t.result.status)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    for (const t of tracked) {
      if (["completed", "failed"].includes(t.result.status)) continue;
      const doc = await parse<Doc>(await client.raw(`/api/v1/knowledge-bases/${kbId}/documents/${t.result.document_id}`));
      t.result.status = doc.processing_status;
      if (doc.error_message) t.result.error = doc.error_message;
      const share = doc.chunks_total ? (doc.chunks_done ?? 0) / doc.chunks_total : 0;
      const pct = doc.processing_status === "completed" || doc.processing_status === "failed" ? 100 : 20 + Math.round(share * 79);
      t.bar?.update(pct, { status: doc.processing_status === "failed" ? `failed: ${doc.error_message ?? ""}` : doc.processing_status });
    }
  }
  bars?.stop();
  return results;
}
