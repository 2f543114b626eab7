// What a conversation file really is, decided from its first bytes (magic numbers), with the declared
// type and the extension only choosing between types that share a container (webm audio or video,
// a zip that is a .docx). Active content (HTML, SVG, scripts, XML) is refused: a download served
// from our origin must never run in the browser. A small table, not a library: the accepted types
// are few and fixed by a setting, and every entry here is checked by a test.
import { AppError } from "../../lib/errors";

const ascii = (bytes: Uint8Array, from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
const startsWith = (bytes: Uint8Array, sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);

/** Types that a browser would execute or render as a document: never stored. */
const ACTIVE = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|(application|text)\/(x-)?(javascript|ecmascript)|text\/xml|application\/xml|application\/x-shockwave-flash)$/i;
const ACTIVE_EXTENSIONS = /\.(html?|xht(ml)?|svgz?|js|mjs|xml|swf)$/i;

const OOXML: Record<string, string> = {
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};
const TEXT_TYPES: Record<string, string> = { txt: "text/plain", csv: "text/csv", md: "text/markdown", markdown: "text/markdown", json: "application/json" };

/** The candidate types the bytes can be, most likely first; null when the signature is unknown. */
function candidates(bytes: Uint8Array): string[] | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return ["image/jpeg"];
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return ["image/png"];
  if (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a") return ["image/gif"];
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return ["image/webp"];
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WAVE") return ["audio/wav", "audio/x-wav", "audio/wave"];
  if (ascii(bytes, 0, 5) === "%PDF-") return ["application/pdf"];
  // Telegram voice notes and WhatsApp audio: Ogg/Opus.
  if (ascii(bytes, 0, 4) === "OggS") return ["audio/ogg", "audio/opus", "video/ogg"];
  if (ascii(bytes, 0, 6) === "#!AMR\n") return ["audio/amr"];
  if (ascii(bytes, 0, 3) === "ID3" || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return ["audio/mpeg", "audio/mp3"];
  // Matroska/WebM (MediaRecorder's format in Chrome and Firefox): audio or video by the declared type.
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return ["audio/webm", "video/webm"];
  if (ascii(bytes, 4, 8) === "ftyp") {
    const brand = ascii(bytes, 8, 12);
    if (brand.startsWith("M4A") || brand.startsWith("M4B")) return ["audio/mp4", "audio/x-m4a", "audio/m4a"];
    if (brand.startsWith("qt")) return ["video/quicktime"];
    if (/^(heic|heix|mif1|msf1)$/.test(brand)) return ["image/heic"];
    return ["video/mp4", "audio/mp4", "audio/x-m4a", "audio/m4a", "video/quicktime"];
  }
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return [...Object.values(OOXML), "application/zip"];
  return null;
}

/** UTF-8 without NUL bytes; undefined when the bytes are not text. */
function asText(bytes: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes.subarray(0, 64 * 1024));
    return text.includes("\u0000") ? undefined : text;
  } catch {
    // A multi-byte character cut at the 64 KiB sample's end is still text.
    if (bytes.byteLength > 64 * 1024) {
      try {
        const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes.subarray(0, 64 * 1024 - 4));
        return text.includes("\u0000") ? undefined : text;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

/** What browsers sniff as markup or script in text (the WHATWG MIME sniffing "HTML" patterns and SVG). */
const MARKUP = /^\s*(<\?xml|<!doctype|<html|<head|<body|<script|<svg|<iframe|<object|<embed|<style|<title|<a[\s>]|<img|<div|<table|<br|<p[\s>]|<h1|<font|<b[\s>]|<!--)/i;

const unsupported = (message: string) => new AppError("UNSUPPORTED_MEDIA_TYPE", message);

export interface DetectedType {
  contentType: string;
}

/**
 * The stored content type of an upload: from its bytes, narrowed by the declared type or the
 * extension. 415 for active content, for bytes that contradict the declared type (a forged type),
 * and for types outside `allowed` (a list of types and `major/*` wildcards).
 */
export function detectContentType(bytes: Uint8Array, name: string, declared: string | undefined, allowed: readonly string[]): DetectedType {
  const claimed = (declared ?? "").split(";")[0]!.trim().toLowerCase();
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? "";
  if ((claimed && ACTIVE.test(claimed)) || ACTIVE_EXTENSIONS.test(name)) {
    throw unsupported("Active content (HTML, SVG, XML, scripts) can't be attached");
  }
  if (!bytes.byteLength) throw new AppError("VALIDATION_ERROR", "The file is empty", [{ field: "file", message: "The file is empty" }]);
  const generic = !claimed || claimed === "application/octet-stream" || claimed === "binary/octet-stream";
  let contentType: string;
  const types = candidates(bytes);
  if (types) {
    if (generic) {
      contentType = types[0] === OOXML.docx && OOXML[ext] ? OOXML[ext]! : types[0]!;
    } else if (types.includes(claimed)) {
      contentType = claimed;
    } else {
      throw unsupported(`The file's content (${types[0]}) does not match its declared type ${claimed}`);
    }
  } else {
    const text = asText(bytes);
    if (text === undefined) throw unsupported("The file's type could not be recognised from its content");
    if (MARKUP.test(text)) throw unsupported("Active content (HTML, SVG, XML, scripts) can't be attached");
    const fromExt = TEXT_TYPES[ext];
    if (generic || claimed.startsWith("text/")) contentType = claimed.startsWith("text/") && claimed !== "text/plain" ? claimed : (fromExt ?? "text/plain");
    else if (claimed === "application/json") contentType = claimed;
    else throw unsupported(`The file's content (text) does not match its declared type ${claimed}`);
    if (ACTIVE.test(contentType)) throw unsupported("Active content (HTML, SVG, XML, scripts) can't be attached");
  }
  if (!isAllowed(contentType, allowed)) {
    throw unsupported(`Files of type ${contentType} are not accepted here (allowed: ${allowed.join(", ")})`);
  }
  return { contentType };
}

export function isAllowed(contentType: string, allowed: readonly string[]): boolean {
  const major = contentType.split("/")[0];
  return allowed.some((a) => a === contentType || a === `${major}/*` || a === "*/*");
}

/** Shown inline by a browser without running anything: raster images, audio, video. Everything else downloads. */
export function servesInline(contentType: string): boolean {
  return /^(image\/(jpeg|png|gif|webp)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+)$/.test(contentType);
}

/**
 * A display name that is safe everywhere: the last path segment, no control or bidi characters,
 * no quotes or backslashes, at most 200 characters with the extension kept.
 */
export function safeFileName(raw: string | undefined | null): string {
  let name = (raw ?? "").split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069"*:<>?|]/g, "").trim();
  name = name.replace(/^\.+/, "").trim();
  if (!name) return "file";
  if (name.length > 200) {
    const ext = /\.[A-Za-z0-9]{1,10}$/.exec(name)?.[0] ?? "";
    name = name.slice(0, 200 - ext.length) + ext;
  }
  return name;
}

/** RFC 6266 / RFC 5987: an ASCII fallback and the UTF-8 name. */
export function contentDisposition(kind: "inline" | "attachment", name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\%;]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
