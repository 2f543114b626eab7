// Text extraction per file type, with libraries that run on Workers (unpdf for PDF, fflate for DOCX).
// The result is a list of sections under their heading path, which the chunker keeps as context.
import { unzipSync } from "fflate";
import { decodeText, type FileType } from "./file-types";

export interface Section {
  /** "Guide > Refunds": the headings the text sits under ("" when none). */
  heading: string;
  text: string;
}

/** A document that can't be read: it fails with this message and is not retried. */
export class ExtractionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExtractionError";
  }
}

export async function extractSections(type: FileType, bytes: Uint8Array): Promise<Section[]> {
  switch (type) {
    case "pdf":
      return plain(await pdfText(bytes));
    case "docx":
      return markdownSections(docxMarkdown(bytes));
    case "html":
      return markdownSections(htmlToMarkdown(text(bytes)));
    case "md":
      return markdownSections(text(bytes));
    case "csv":
      return plain(csvText(text(bytes)));
    case "json":
      return plain(jsonText(text(bytes)));
    default:
      return plain(text(bytes));
  }
}

function text(bytes: Uint8Array): string {
  const t = decodeText(bytes);
  if (t === undefined) throw new ExtractionError("The file is not UTF-8 text");
  return t;
}

function plain(t: string): Section[] {
  return t.trim() ? [{ heading: "", text: t }] : [];
}

/** Splits Markdown on its headings; each section carries the path of headings above it. */
export function markdownSections(markdown: string): Section[] {
  const sections: Section[] = [];
  const path: string[] = [];
  let buffer: string[] = [];
  let inFence = false;
  const flush = () => {
    const body = cleanMarkdown(buffer.join("\n")).trim();
    if (body) sections.push({ heading: path.filter(Boolean).join(" > "), text: body });
    buffer = [];
  };
  for (const line of markdown.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const m = !inFence && /^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (m) {
      flush();
      const level = m[1]!.length;
      path.length = level - 1;
      path[level - 1] = cleanMarkdown(m[2]!).trim();
      continue;
    }
    buffer.push(line);
  }
  flush();
  // A document of headings only still says something.
  if (!sections.length && path.some(Boolean)) sections.push({ heading: "", text: path.filter(Boolean).join(" > ") });
  return sections;
}

function cleanMarkdown(s: string): string {
  return s
    .replace(/^\s*(```|~~~).*$/gm, "")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/(\*\*|__|\*|_|`)(?=\S)([^\n]*?\S)\1/g, "$2")
    .replace(/^\s{0,3}>\s?/gm, "")
    .replace(/^\s*[-*+]\s+/gm, "- ")
    .replace(/^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*$/gm, "")
    .replace(/[ \t]+$/gm, "");
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", mdash: "—", ndash: "–", hellip: "…", rsquo: "’", lsquo: "‘", rdquo: "”", ldquo: "“", copy: "©" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/** HTML without scripts, styles and navigation; headings become Markdown headings. */
export function htmlToMarkdown(html: string): string {
  let s = html
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<(script|style|noscript|template|svg|nav|header|footer|aside|iframe|form|button)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<(script|style|nav)\b[^>]*\/>/gi, " ");
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(s)?.[1];
  s = s.replace(/<head\b[\s\S]*?<\/head\s*>/i, " ");
  s = s.replace(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1\s*>/gi, (_a, level: string, inner: string) => `\n\n${"#".repeat(Number(level))} ${inner.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim()}\n\n`);
  s = s
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|section|article|li|ul|ol|table|tr|blockquote|pre|main|dl|dd|dt)\s*>/gi, "\n\n")
    .replace(/<\/(td|th)\s*>/gi, " | ")
    .replace(/<[^>]+>/g, " ");
  s = decodeEntities(s)
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
  if (!/^\s*#/.test(s) && title?.trim()) s = `# ${decodeEntities(title).trim()}\n\n${s}`;
  return s.trim();
}

/** CSV rows as "column: value" lines (one paragraph a row), so each fact keeps its column names. */
export function csvText(csv: string): string {
  const rows = parseCsv(csv).filter((r) => r.some((c) => c.trim()));
  if (!rows.length) return "";
  const [header, ...body] = rows;
  if (!body.length) return header!.join(", ");
  return body
    .map((row) => row.map((cell, i) => (cell.trim() ? `${(header![i] ?? `column ${i + 1}`).trim()}: ${cell.trim()}` : "")).filter(Boolean).join("; ") + ".")
    .join("\n\n");
}

function parseCsv(csv: string): string[][] {
  const delimiter = (csv.split("\n")[0] ?? "").split(";").length > (csv.split("\n")[0] ?? "").split(",").length ? ";" : ",";
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const ch = csv[i]!;
    if (quoted) {
      if (ch === '"' && csv[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && csv[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** JSON as "path: value" lines: keys give the values their meaning. */
export function jsonText(source: string): string {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    throw new ExtractionError("The file is not valid JSON");
  }
  const lines: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, path ? `${path}[${i}]` : `[${i}]`));
      if (v.length && v.every((x) => typeof x === "object" && x !== null)) lines.push("");
    } else if (typeof v === "object") {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) walk(child, path ? `${path}.${k}` : k);
    } else {
      const text = String(v).trim();
      if (text) lines.push(path ? `${path}: ${text}` : text);
    }
  };
  walk(value, "");
  return lines.join("\n").replace(/\n{3,}/g, "\n\n");
}

async function pdfText(bytes: Uint8Array): Promise<string> {
  const { extractText, getDocumentProxy } = await import("unpdf");
  let pages: string[];
  try {
    // pdf.js may detach the buffer it is given: hand it a copy.
    const pdf = await getDocumentProxy(new Uint8Array(bytes));
    const result = await extractText(pdf, { mergePages: false });
    pages = Array.isArray(result.text) ? result.text : [result.text];
  } catch (err) {
    throw new ExtractionError(`The PDF could not be read (corrupt or encrypted): ${String((err as Error)?.message ?? err).slice(0, 200)}`);
  }
  const joined = pages.map((p) => p.trim()).filter(Boolean).join("\n\n");
  if (!joined.trim()) throw new ExtractionError("The PDF contains no extractable text (scanned images are not supported)");
  return joined;
}

/** DOCX = zip with word/document.xml: paragraphs of runs; Heading styles become Markdown headings. */
export function docxMarkdown(bytes: Uint8Array): string {
  let xml: string;
  try {
    const files = unzipSync(bytes, { filter: (f) => f.name === "word/document.xml" });
    const doc = files["word/document.xml"];
    if (!doc) throw new Error("word/document.xml is missing");
    xml = new TextDecoder().decode(doc);
  } catch (err) {
    throw new ExtractionError(`The Word document could not be read: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
  }
  const paragraphs: string[] = [];
  for (const p of xml.match(/<w:p[\s>][\s\S]*?<\/w:p>/g) ?? []) {
    const style = /<w:pStyle\s+w:val="([^"]+)"/.exec(p)?.[1] ?? "";
    const runs = (p.match(/<w:t(?:\s[^>]*)?>[^<]*<\/w:t>|<w:tab\/>|<w:br\/>/g) ?? [])
      .map((r) => (r === "<w:tab/>" ? "\t" : r === "<w:br/>" ? "\n" : decodeEntities(r.replace(/<[^>]+>/g, ""))))
      .join("");
    if (!runs.trim()) continue;
    const heading = /^(?:heading|titre|berschrift)\s*(\d)$/i.exec(style.replace(/^.*?(heading|titre|berschrift)/i, "$1")) ?? (/^Title$/i.test(style) ? [, "1"] : null);
    paragraphs.push(heading ? `${"#".repeat(Math.min(6, Number(heading[1])))} ${runs.trim()}` : runs);
  }
  if (!paragraphs.length) throw new ExtractionError("The Word document contains no text");
  return paragraphs.join("\n\n");
}
