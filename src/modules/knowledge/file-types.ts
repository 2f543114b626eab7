// Which files a knowledge base accepts, decided by the bytes and the extension together (never by the
// client's Content-Type alone): 415 for anything else, 422 for an empty or text-less text file.
import { AppError, invalid } from "../../lib/errors";

export const FILE_TYPES = ["txt", "md", "html", "pdf", "docx", "csv", "json"] as const;
export type FileType = (typeof FILE_TYPES)[number];

export const MIME_TYPES: Record<FileType, string> = {
  txt: "text/plain",
  md: "text/markdown",
  html: "text/html",
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  csv: "text/csv",
  json: "application/json",
};

const EXTENSIONS: Record<string, FileType> = {
  txt: "txt",
  text: "txt",
  md: "md",
  markdown: "md",
  html: "html",
  htm: "html",
  pdf: "pdf",
  docx: "docx",
  csv: "csv",
  json: "json",
};

const unsupported = (why: string) =>
  new AppError("UNSUPPORTED_MEDIA_TYPE", `Unsupported file: ${why}. Accepted: .txt, .md, .html, .pdf, .docx, .csv, .json`);

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return signature.every((b, i) => bytes[i] === b);
}

// Signatures of common binary formats that are never text.
const BINARY_SIGNATURES = [
  [0x25, 0x50, 0x44, 0x46], // %PDF
  [0x50, 0x4b, 0x03, 0x04], // zip (docx, xlsx, ...)
  [0x89, 0x50, 0x4e, 0x47], // png
  [0xff, 0xd8, 0xff], // jpeg
  [0x47, 0x49, 0x46, 0x38], // gif
  [0x7f, 0x45, 0x4c, 0x46], // elf
  [0x4d, 0x5a], // exe
  [0x1f, 0x8b], // gzip
  [0xd0, 0xcf, 0x11, 0xe0], // legacy office (.doc)
];

/** Decodes UTF-8 text, or undefined when the bytes are not text (invalid UTF-8 or NUL bytes). */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (BINARY_SIGNATURES.some((sig) => startsWith(bytes, sig))) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
  if (text.includes("\u0000")) return undefined;
  return text.replace(/^\uFEFF/, "");
}

export function extensionOf(filename: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(filename.trim());
  return m ? m[1]!.toLowerCase() : "";
}

/** The file's type, checked against its content. Throws 415 or 422. */
export function detectFileType(filename: string, bytes: Uint8Array): FileType {
  if (bytes.byteLength === 0) throw invalid([{ field: "file", message: "The file is empty" }]);
  const ext = extensionOf(filename);
  let type: FileType | undefined = EXTENSIONS[ext];
  if (ext && !type) throw unsupported(`extension .${ext}`);
  const isPdf = startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d]);
  const isZip = startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]);
  if (!type) type = isPdf ? "pdf" : isZip ? "docx" : "txt";
  if (type === "pdf") {
    if (!isPdf) throw unsupported("the content of this .pdf is not a PDF");
    return type;
  }
  if (type === "docx") {
    if (!isZip) throw unsupported("the content of this .docx is not a Word document");
    return type;
  }
  const text = decodeText(bytes);
  if (text === undefined) throw unsupported(`the content of this .${ext || "txt"} file is not UTF-8 text`);
  if (!text.trim()) throw invalid([{ field: "file", message: "The file contains no text" }]);
  if (type === "json") {
    try {
      JSON.parse(text);
    } catch {
      throw invalid([{ field: "file", message: "The file is not valid JSON" }]);
    }
  }
  return type;
}
