// POST /api/v1/knowledge-bases/{id}/documents/batch: several files in one multipart request; each is
// checked as a single upload would be, and a bad one gets its own error without losing the others.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { createKb, waitForDocument } from "../knowledge-helpers";

function batchForm(files: [string, string | Uint8Array][], extra: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, content] of files) form.append("file", new File([content], name));
  for (const [k, v] of Object.entries(extra)) form.set(k, v);
  return form;
}

const batch = (token: string, kbId: string, form: FormData) => api(`/api/v1/knowledge-bases/${kbId}/documents/batch`, { method: "POST", token, body: form });

const countDocs = async (creatorId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM documents WHERE creator_id = ?").bind(creatorId).first<{ n: number }>())!.n;

describe("POST /api/v1/knowledge-bases/{id}/documents/batch", () => {
  it("accepts the good files, reports each bad one with its own error, and ingests what it accepted", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const form = batchForm(
      [
        ["refunds.md", "# Refunds\n\nRefunds are available within 30 days."],
        ["setup.exe", new Uint8Array([0x4d, 0x5a, 0x90, 0x00])],
        ["parking.txt", "Parking is behind the studio, free after 6 pm."],
        ["empty.txt", ""],
        ["prices.csv", "class,price\nyoga,12\npilates,15\n"],
        ["broken.json", "{not json"],
      ],
      { metadata: JSON.stringify({ source: "import" }) },
    );
    const res = await batch(s.access_token, kb.id, form);
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ accepted: 3, rejected: 3 });
    expect(body.documents.map((d: any) => [d.filename, d.title, d.file_type, d.processing_status, d.metadata])).toEqual([
      ["refunds.md", "refunds", "md", "pending", { source: "import" }],
      ["parking.txt", "parking", "txt", "pending", { source: "import" }],
      ["prices.csv", "prices", "csv", "pending", { source: "import" }],
    ]);
    expect(body.errors.map((e: any) => [e.index, e.filename, e.error.code])).toEqual([
      [1, "setup.exe", "UNSUPPORTED_MEDIA_TYPE"],
      [3, "empty.txt", "VALIDATION_ERROR"],
      [5, "broken.json", "VALIDATION_ERROR"],
    ]);
    expect(body.errors[1].error.details).toEqual([{ field: "file", message: "The file is empty" }]);

    for (const doc of body.documents) expect((await waitForDocument(doc.id)).processing_status).toBe("completed");
    expect(await countDocs(s.creator.id)).toBe(3);
    // Only the accepted originals are in R2.
    const stored = await env.FILES.list({ prefix: `creators/${s.creator.id}/documents/` });
    expect(stored.objects.filter((o) => o.key.endsWith("/original"))).toHaveLength(3);
    const search = await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "parking after 6 pm", knowledge_base_id: kb.id } });
    expect(((await search.json()) as any).results[0].document_id).toBe(body.documents[1].id);
  });

  it("gives a file over 25 MB its own 413 entry and keeps the others", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const res = await batch(s.access_token, kb.id, batchForm([["big.txt", new Uint8Array(25 * 1024 * 1024 + 1).fill(0x61)], ["small.md", "# Small\n\nA small note."]]));
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body.documents.map((d: any) => d.filename)).toEqual(["small.md"]);
    expect(body.errors.map((e: any) => [e.index, e.error.code])).toEqual([[0, "PAYLOAD_TOO_LARGE"]]);
  });

  it("answers 422 with one detail per file when no file is good, and stores nothing", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const res = await batch(s.access_token, kb.id, batchForm([["a.exe", new Uint8Array([0x4d, 0x5a, 0])], ["b.txt", "   "]]));
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.details.map((d) => d.field)).toEqual(["file[0]", "file[1]"]);
    expect(error.details[0]!.message).toContain("a.exe");
    expect(await countDocs(s.creator.id)).toBe(0);
    expect((await env.FILES.list({ prefix: `creators/${s.creator.id}/` })).objects).toHaveLength(0);
  });

  it("rejects a request without files (422), with bad metadata (422), too many files (422), too many bytes (413) or not multipart (415)", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const none = await batch(s.access_token, kb.id, batchForm([], { metadata: "{}" }));
    expect(none.status).toBe(422);
    expect((await errorOf(none)).details[0]!.field).toBe("file");
    const badMeta = await batch(s.access_token, kb.id, batchForm([["a.md", "# A\n\ntext"]], { metadata: "[1,2]" }));
    expect(badMeta.status).toBe(422);
    expect((await errorOf(badMeta)).details[0]!.field).toBe("metadata");
    const many = await batch(s.access_token, kb.id, batchForm(Array.from({ length: 101 }, (_, i) => [`n${i}.txt`, `note ${i}`] as [string, string])));
    expect(many.status).toBe(422);
    expect((await errorOf(many)).details[0]).toEqual({ field: "file", message: "At most 100 files a request" });
    const half = new Uint8Array(17 * 1024 * 1024).fill(0x62);
    const huge = await batch(s.access_token, kb.id, batchForm([["a.txt", half], ["b.txt", half]]));
    expect(huge.status).toBe(413);
    const json = await api(`/api/v1/knowledge-bases/${kb.id}/documents/batch`, { method: "POST", token: s.access_token, json: { file: "x" } });
    expect(json.status).toBe(415);
    expect(await countDocs(s.creator.id)).toBe(0);
  });

  it("is 404 for another creator's knowledge base and 401 without a token", async () => {
    const owner = await createCreator();
    const other = await createCreator();
    const kb = await createKb(owner.access_token);
    const res = await batch(other.access_token, kb.id, batchForm([["a.md", "# A\n\ntext"]]));
    expect(res.status).toBe(404);
    expect((await api(`/api/v1/knowledge-bases/${kb.id}/documents/batch`, { method: "POST", body: batchForm([["a.md", "# A"]]) })).status).toBe(401);
    expect(await countDocs(owner.creator.id)).toBe(0);
    expect(await countDocs(other.creator.id)).toBe(0);
  });
});
