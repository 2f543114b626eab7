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

/** What one document may cost to read (settings in src/config.ts "knowledge"). */
export interface ExtractLimits {
  maxPdfPages: number;
  /** Bytes of word/document.xml once inflated, whatever the zip claims. */
  maxDecompressedBytes: number;
  /** Inflated / compressed size of the document part: text XML is ~5-20x; bombs ~1000x. */
  maxCompressionRatio: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = { maxPdfPages: 1000, maxDecompressedBytes: 64 * 1024 * 1024, maxCompressionRatio: 200 };

export async function extractSections(type: FileType, bytes: Uint8Array, limits: ExtractLimits = DEFAULT_EXTRACT_LIMITS): Promise<Section[]> {
  switch (type) {
    case "pdf":
      return plain(await pdfText(bytes, limits));
    case "docx":
      return markdownSections(docxMarkdown(bytes, limits));
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
    if (/^[ \t]*(```|~~~)/.test(line)) inFence = !inFence;
    const m = inFence ? null : heading(line);
    if (m) {
      flush();
      path.length = m.level - 1;
      path[m.level - 1] = cleanMarkdown(m.title).trim();
      continue;
    }
    buffer.push(line);
  }
  flush();
  // A document of headings only still says something.
  if (!sections.length && path.some(Boolean)) sections.push({ heading: "", text: path.filter(Boolean).join(" > ") });
  return sections;
}

/** An ATX heading "## Title ##", parsed without a backtracking pattern (the title's end is trimmed by hand). */
function heading(line: string): { level: number; title: string } | null {
  const m = /^ {0,3}(#{1,6})[ \t]+/.exec(line);
  if (!m) return null;
  let title = line.slice(m[0].length).trimEnd();
  let end = title.length;
  while (end > 0 && title[end - 1] === "#") end--;
  title = title.slice(0, end).trimEnd();
  return title ? { level: m[1]!.length, title } : null;
}

// Every pattern below is linear: no two adjacent quantifiers can match the same characters, `[ \t]`
// rather than `\s` where a match must stay on one line, and bounded spans where a pair must close
// (emphasis spans longer than 500 characters are left as they are).
function cleanMarkdown(s: string): string {
  return s
    .replace(/^[ \t]*(```|~~~).*$/gm, "")
    .replace(/!\[([^\]\n]*)\]\([^)\n]*\)/g, "$1")
    .replace(/\[([^\]\n]+)\]\([^)\n]*\)/g, "$1")
    .replace(/<[^<>]+>/g, "")
    .replace(/(\*\*|__|\*|_|`)(?=\S)([^\n]{0,500}?\S)\1/g, "$2")
    .replace(/^ {0,3}>[ \t]?/gm, "")
    .replace(/^[ \t]*[-*+][ \t]+/gm, "- ")
    .replace(/^[ \t]*\|?([ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*$/gm, "")
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
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

const DROPPED_BLOCKS = ["script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "iframe", "form", "button"];

/**
 * Replaces every `open … close` span by `replace(inner)`, scanning once with indexOf (a lazy
 * `[\s\S]*?` pattern rescans to the end of the input for every unclosed opening: quadratic).
 * An opening without its close swallows the rest of the input, as a browser does for <script>.
 */
function replaceSpans(input: string, open: RegExp, close: (m: RegExpExecArray) => string, replace: (inner: string, m: RegExpExecArray) => string): string {
  const lower = input.toLowerCase();
  const re = new RegExp(open.source, "gi");
  let out = "";
  let pos = 0;
  for (;;) {
    re.lastIndex = pos;
    const m = re.exec(input);
    if (!m) break;
    const start = m.index + m[0].length;
    const closing = close(m).toLowerCase();
    const end = lower.indexOf(closing, start);
    out += input.slice(pos, m.index);
    if (end < 0) {
      out += replace(input.slice(start), m);
      return out;
    }
    out += replace(input.slice(start, end), m);
    // Past the close tag's ">" (it may carry blanks before it).
    const gt = input.indexOf(">", end);
    pos = gt < 0 ? input.length : gt + 1;
  }
  return out + input.slice(pos);
}

/** HTML without scripts, styles and navigation; headings become Markdown headings. */
export function htmlToMarkdown(html: string): string {
  let s = replaceSpans(html, /<!--/, () => "-->", () => " ").replace(/-->/g, " ");
  s = s.replace(new RegExp(`<(${DROPPED_BLOCKS.join("|")})\\b[^<>]*\\/>`, "gi"), " ");
  s = replaceSpans(s, new RegExp(`<(${DROPPED_BLOCKS.join("|")})\\b[^<>]*>`), (m) => `</${m[1]}`, () => " ");
  const titleAt = s.toLowerCase().indexOf("<title");
  let title: string | undefined;
  if (titleAt >= 0) {
    const open = s.indexOf(">", titleAt);
    const close = open < 0 ? -1 : s.toLowerCase().indexOf("</title", open);
    if (close > open) title = s.slice(open + 1, close);
  }
  const headAt = s.toLowerCase().search(/<head\b/);
  if (headAt >= 0) {
    const headEnd = s.toLowerCase().indexOf("</head", headAt);
    if (headEnd >= 0) {
      const gt = s.indexOf(">", headEnd);
      s = `${s.slice(0, headAt)} ${s.slice(gt < 0 ? s.length : gt + 1)}`;
    }
  }
  s = replaceSpans(s, /<h([1-6])\b[^<>]*>/, (m) => `</h${m[1]}`, (inner, m) => `\n\n${"#".repeat(Number(m[1]))} ${inner.replace(/<[^<>]+>/g, " ").replace(/\s+/g, " ").trim()}\n\n`);
  s = s
    .replace(/<li\b[^<>]*>/gi, "\n- ")
    .replace(/<br[ \t\n]*\/?>/gi, "\n")
    .replace(/<\/(p|div|section|article|li|ul|ol|table|tr|blockquote|pre|main|dl|dd|dt)[ \t\n]*>/gi, "\n\n")
    .replace(/<\/(td|th)[ \t\n]*>/gi, " | ")
    .replace(/<[^<>]+>/g, " ");
  s = decodeEntities(s)
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
  if (!/^[ \t\n]*#/.test(s) && title?.trim()) s = `# ${decodeEntities(title.replace(/<[^<>]+>/g, " ")).trim()}\n\n${s}`;
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

async function pdfText(bytes: Uint8Array, limits: ExtractLimits): Promise<string> {
  const { extractText, getDocumentProxy } = await import("unpdf");
  let pages: string[];
  // pdf.js may detach the buffer it is given: hand it a copy.
  const pdf = await getDocumentProxy(new Uint8Array(bytes)).catch((err: unknown) => {
    throw new ExtractionError(`The PDF could not be read (corrupt or encrypted): ${String((err as Error)?.message ?? err).slice(0, 200)}`);
  });
  // Checked before any page is parsed: the page count is in the document's catalogue.
  if (pdf.numPages > limits.maxPdfPages) {
    throw new ExtractionError(`The PDF has ${pdf.numPages} pages; at most ${limits.maxPdfPages} pages are read per document`);
  }
  try {
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
export function docxMarkdown(bytes: Uint8Array, limits: ExtractLimits = DEFAULT_EXTRACT_LIMITS): string {
  let xml: string;
  try {
    // The zip directory's sizes are checked before anything is inflated (fflate allocates the
    // claimed size up front), and the inflated length again after (a directory can lie low).
    const files = unzipSync(bytes, {
      filter: (f) => {
        if (f.name !== "word/document.xml") return false;
        if (f.originalSize > limits.maxDecompressedBytes) {
          throw new ExtractionError(`The Word document is too large once uncompressed (${f.originalSize} bytes; at most ${limits.maxDecompressedBytes})`);
        }
        if (f.originalSize / Math.max(1, f.size) > limits.maxCompressionRatio) {
          throw new ExtractionError(`The Word document's compression ratio (${Math.round(f.originalSize / Math.max(1, f.size))}:1) is beyond ${limits.maxCompressionRatio}:1: refused as a zip bomb`);
        }
        return true;
      },
    });
    const doc = files["word/document.xml"];
    if (!doc) throw new Error("word/document.xml is missing");
    if (doc.length > limits.maxDecompressedBytes) throw new ExtractionError("The Word document is too large once uncompressed");
    xml = new TextDecoder().decode(doc);
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    throw new ExtractionError(`The Word document could not be read: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
  }
  const paragraphs: string[] = [];
  for (const p of paragraphsOf(xml)) {
    const style = /<w:pStyle[ \t\n]+w:val="([^"]*)"/.exec(p)?.[1] ?? "";
    const runs = (p.match(/<w:t(?:[ \t\n][^<>]*)?>[^<]*<\/w:t>|<w:tab\/>|<w:br\/>/g) ?? [])
      .map((r) => (r === "<w:tab/>" ? "\t" : r === "<w:br/>" ? "\n" : decodeEntities(r.replace(/<[^>]+>/g, ""))))
      .join("");
    if (!runs.trim()) continue;
    const heading = /^(?:heading|titre|berschrift)\s*(\d)$/i.exec(style.replace(/^.*?(heading|titre|berschrift)/i, "$1")) ?? (/^Title$/i.test(style) ? [, "1"] : null);
    paragraphs.push(heading ? `${"#".repeat(Math.min(6, Number(heading[1])))} ${runs.trim()}` : runs);
  }
  if (!paragraphs.length) throw new ExtractionError("The Word document contains no text");
  return paragraphs.join("\n\n");
}

/** `<w:p …>…</w:p>` bodies, found with indexOf (a lazy pattern is quadratic on unclosed paragraphs). */
function paragraphsOf(xml: string): string[] {
  const out: string[] = [];
  const open = /<w:p[ \t\n>]/g;
  let pos = 0;
  for (;;) {
    open.lastIndex = pos;
    const m = open.exec(xml);
    if (!m) return out;
    const end = xml.indexOf("</w:p>", m.index);
    if (end < 0) return out;
    // A nested unclosed opening: the paragraph starts at the last opening before its close.
    const body = xml.slice(m.index, end + 6);
    const inner = body.lastIndexOf("<w:p", body.length - 6);
    out.push(inner > 0 && /<w:p[ \t\n>]/.test(body.slice(inner, inner + 5)) ? body.slice(inner) : body);
    pos = end + 6;
  }
}
