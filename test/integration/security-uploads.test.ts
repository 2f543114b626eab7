// Upload bombs and pathological inputs fail their own document cleanly; other tenants' documents in the
// same batch still complete. One upload's work is bounded (chunk count).
import { describe, expect, it } from "vitest";
import { zipSync, strToU8 } from "fflate";
import { docxMarkdown, htmlToMarkdown, markdownSections, ExtractionError } from "../../src/modules/knowledge/extract";
import { createCreator } from "../helpers";
import { makeDocx, makePdf } from "../fixtures-builders";
import { createKb, upload, uploadAndWait, waitForDocument } from "../knowledge-helpers";

/** A DOCX whose zip directory claims word/document.xml unpacks to ~4 GB. */
function docxClaimingHugeSize(): Uint8Array {
  const zip = zipSync({ "word/document.xml": strToU8("<w:document><w:body><w:p><w:r><w:t>hi</w:t></w:r></w:p></w:body></w:document>") });
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let i = 0; i + 4 <= zip.length; i++) {
    const sig = view.getUint32(i, true);
    if (sig === 0x04034b50) view.setUint32(i + 22, 0xfffffff0, true); // local header: uncompressed size
    if (sig === 0x02014b50) view.setUint32(i + 24, 0xfffffff0, true); // central directory: uncompressed size
  }
  return zip;
}

/** A real deflate bomb: 16 MB of zeros in the document part compress ~1000:1. */
function docxDeflateBomb(): Uint8Array {
  return zipSync({ "word/document.xml": new Uint8Array(16 * 1024 * 1024) }, { level: 1 });
}

describe("upload bombs", () => {
  it("a DOCX claiming a huge uncompressed size fails with a reason; another tenant's upload in the same batch completes", async () => {
    const attacker = await createCreator();
    const victim = await createCreator();
    const [kbA, kbV] = await Promise.all([createKb(attacker.access_token), createKb(victim.access_token)]);
    const [bomb, good] = await Promise.all([
      upload(attacker.access_token, kbA.id, "bomb.docx", docxClaimingHugeSize()),
      upload(victim.access_token, kbV.id, "good.docx", makeDocx("Refunds", ["Refunds are possible within 30 days of purchase."])),
    ]);
    expect(bomb.status).toBe(202);
    const [bombState, goodState] = await Promise.all([waitForDocument(((await bomb.json()) as { id: string }).id), waitForDocument(((await good.json()) as { id: string }).id)]);
    expect(bombState.processing_status).toBe("failed");
    expect(bombState.error_message).toMatch(/too large|uncompressed/i);
    expect(goodState.processing_status).toBe("completed");
  }, 60_000);

  it("a real deflate bomb (huge ratio) fails by its ratio before it is inflated", () => {
    const bomb = docxDeflateBomb();
    expect(() => docxMarkdown(bomb)).toThrow(ExtractionError);
    expect(() => docxMarkdown(bomb)).toThrow(/compression ratio/i);
  }, 60_000);

  it("a PDF with thousands of pages fails with a reason", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const doc = await uploadAndWait(s.access_token, kb.id, "huge.pdf", makePdf(Array.from({ length: 1200 }, (_, i) => `Page ${i}`)));
    expect(doc.processing_status).toBe("failed");
    expect(doc.error_message).toMatch(/pages/i);
  }, 60_000);

  it("a document that would make more chunks than the per-document maximum fails with a reason", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token, { settings: { chunk_size: 100, chunk_overlap: 0 } });
    const text = Array.from({ length: 6000 }, (_, i) => `Sentence number ${i} is here to make one chunk of about a hundred characters long, yes.`).join("\n\n");
    const doc = await uploadAndWait(s.access_token, kb.id, "long.md", text);
    expect(doc.processing_status).toBe("failed");
    expect(doc.error_message).toMatch(/chunks/i);
  }, 120_000);
});

describe("the extractor's regular expressions are linear", () => {
  // Each of these takes minutes with a backtracking pattern; linear code finishes in milliseconds.
  // The test's own timeout is the bound (no timing is asserted).
  const n = 200_000;
  it("HTML: unclosed tags, comments, scripts and headings", () => {
    expect(typeof htmlToMarkdown("<".repeat(n))).toBe("string");
    expect(typeof htmlToMarkdown("<!--".repeat(n / 4))).toBe("string");
    expect(typeof htmlToMarkdown("<script>".repeat(n / 8))).toBe("string");
    expect(typeof htmlToMarkdown("<h1>".repeat(n / 4))).toBe("string");
    expect(typeof htmlToMarkdown("<title>".repeat(n / 7))).toBe("string");
  }, 10_000);

  it("Markdown: emphasis without its closing mark, long trailing blanks, headings of blanks, blank lines", () => {
    expect(markdownSections("*a".repeat(n / 2)).length).toBeGreaterThan(0);
    expect(markdownSections(`x${" ".repeat(n)}x`).length).toBe(1);
    expect(markdownSections(`# a${" ".repeat(n)}b`)).toBeDefined();
    expect(markdownSections(`a${"\n".repeat(n)}|`)).toBeDefined();
    expect(markdownSections(`a${" \n".repeat(n / 2)}-`)).toBeDefined();
  }, 10_000);

  it("DOCX: unclosed paragraphs", () => {
    const xml = `<w:document><w:body>${"<w:p>".repeat(n / 5)}<w:p><w:r><w:t>end</w:t></w:r></w:p></w:body></w:document>`;
    expect(docxMarkdown(zipSync({ "word/document.xml": strToU8(xml) }, { level: 0 }))).toContain("end");
  }, 10_000);
});
