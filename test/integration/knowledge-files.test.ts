import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { makeDocx, makePdf } from "../fixtures-builders";
import { createKb, upload, uploadAndWait } from "../knowledge-helpers";

async function contentOf(token: string, kbId: string, docId: string) {
  const res = await api(`/api/v1/knowledge-bases/${kbId}/documents/${docId}`, { token });
  return (await res.json()) as { content: string; file_type: string; chunks: { content: string; metadata: Record<string, unknown> }[]; error_message: string | null; processing_status: string };
}

describe("ingestion of each file type", { timeout: 60_000 }, () => {
  it("txt, html (no scripts or navigation), csv and json", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const txt = await uploadAndWait(s.access_token, kb.id, "notes.txt", "Hydration matters. Drink two litres of water a day.");
    expect(txt.processing_status).toBe("completed");
    expect((await contentOf(s.access_token, kb.id, txt.id)).content).toContain("two litres of water");

    const html = await uploadAndWait(
      s.access_token,
      kb.id,
      "page.html",
      `<html><head><title>Plans</title><script>var secret = "tracking-code";</script><style>.x{}</style></head>
       <body><nav><a href="/">Home</a> | <a href="/menu">Menu navigation link</a></nav>
       <h1>Membership plans</h1><p>The gold plan costs 49 euros &amp; includes sauna access.</p>
       <footer>Copyright footer text</footer></body></html>`,
    );
    expect(html.processing_status).toBe("completed");
    const h = await contentOf(s.access_token, kb.id, html.id);
    expect(h.content).toContain("The gold plan costs 49 euros & includes sauna access.");
    expect(h.content).not.toContain("tracking-code");
    expect(h.content).not.toContain("Menu navigation link");
    expect(h.content).not.toContain("Copyright footer");
    expect(h.chunks[0]!.metadata.heading).toBe("Membership plans");

    const csv = await uploadAndWait(s.access_token, kb.id, "prices.csv", 'product,price\n"Yoga mat, large",25\nFoam roller,15\n');
    expect(csv.processing_status).toBe("completed");
    expect((await contentOf(s.access_token, kb.id, csv.id)).content).toContain("product: Yoga mat, large; price: 25.");

    const json = await uploadAndWait(s.access_token, kb.id, "faq.json", JSON.stringify({ faq: [{ q: "Parking?", a: "Free parking behind the studio." }] }));
    expect(json.processing_status).toBe("completed");
    expect((await contentOf(s.access_token, kb.id, json.id)).content).toContain("faq[0].a: Free parking behind the studio.");
  });

  it("pdf (unpdf) and docx (headings kept)", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const pdf = await uploadAndWait(s.access_token, kb.id, "guide.pdf", makePdf(["Stretch for ten minutes after every run.", "Rest days prevent injuries."]));
    expect(pdf.error_message).toBeNull();
    expect(pdf.processing_status).toBe("completed");
    const p = await contentOf(s.access_token, kb.id, pdf.id);
    expect(p.file_type).toBe("pdf");
    expect(p.content).toContain("Stretch for ten minutes after every run.");
    expect(p.content).toContain("Rest days prevent injuries.");

    const docx = await uploadAndWait(s.access_token, kb.id, "plan.docx", makeDocx("Nutrition plan", ["Eat protein with every meal.", "Avoid sugary drinks."]));
    expect(docx.processing_status).toBe("completed");
    const d = await contentOf(s.access_token, kb.id, docx.id);
    expect(d.content).toContain("Eat protein with every meal.");
    expect(d.chunks[0]!.metadata.heading).toBe("Nutrition plan");
  });

  it("a corrupt PDF fails that document with a clear error_message and nothing else", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const bad = await uploadAndWait(s.access_token, kb.id, "broken.pdf", "%PDF-1.4\nthis is not really a pdf at all\n%%EOF");
    expect(bad.processing_status).toBe("failed");
    expect(bad.error_message).toMatch(/PDF could not be read|no extractable text/);
    const good = await uploadAndWait(s.access_token, kb.id, "ok.txt", "Still works after the broken one.");
    expect(good.processing_status).toBe("completed");
    const chunks = await env.DB.prepare("SELECT count(*) AS n FROM knowledge_chunks WHERE document_id = ?").bind(bad.id).first<{ n: number }>();
    expect(chunks!.n).toBe(0);
  });
});

describe("upload limits and bad input", { timeout: 30_000 }, () => {
  it("415 for an unsupported extension and for content that doesn't match the extension", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const exe = await upload(s.access_token, kb.id, "tool.exe", "MZ binary");
    expect(exe.status).toBe(415);
    expect((await errorOf(exe)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    // A PNG renamed to .txt, and text renamed to .pdf: the bytes decide.
    const png = await upload(s.access_token, kb.id, "image.txt", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    expect(png.status).toBe(415);
    const fakePdf = await upload(s.access_token, kb.id, "fake.pdf", "just text");
    expect(fakePdf.status).toBe(415);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM documents WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
    expect((await env.FILES.list({ prefix: `creators/${s.creator.id}/` })).objects).toHaveLength(0);
  });

  it("422 for empty and text-less files, invalid JSON and bad metadata", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const empty = await upload(s.access_token, kb.id, "empty.txt", "");
    expect(empty.status).toBe(422);
    expect((await errorOf(empty)).details[0]!.field).toBe("file");
    const blank = await upload(s.access_token, kb.id, "blank.md", "   \n\n  ");
    expect(blank.status).toBe(422);
    const json = await upload(s.access_token, kb.id, "bad.json", "{not json");
    expect(json.status).toBe(422);
    const s2 = await createCreator();
    const kb2 = await createKb(s2.access_token);
    const meta = await upload(s2.access_token, kb2.id, "ok.txt", "fine", { metadata: "[1,2]" });
    expect(meta.status).toBe(422);
    expect((await errorOf(meta)).details[0]!.field).toBe("metadata");
    const nofile = await api(`/api/v1/knowledge-bases/${kb2.id}/documents`, { method: "POST", token: s2.access_token, body: (() => { const f = new FormData(); f.set("title", "x"); return f; })() });
    expect(nofile.status).toBe(422);
    expect((await errorOf(nofile)).details[0]!.field).toBe("file");
    const notMultipart = await api(`/api/v1/knowledge-bases/${kb2.id}/documents`, { method: "POST", token: s2.access_token, json: { file: "x" } });
    expect(notMultipart.status).toBe(415);
  });

  it("413 above 25 MB", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const big = new Uint8Array(25 * 1024 * 1024 + 1).fill(0x61);
    const res = await upload(s.access_token, kb.id, "big.txt", big);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
  });
});
