// The conversation file checks that need nothing but bytes and names: magic numbers, forged and
// active types, safe names and Content-Disposition.
import { describe, expect, it } from "vitest";
import { contentDisposition, detectContentType, safeFileName } from "../../src/modules/files/file-types";

const ALL = ["*/*"];
const bytes = (...b: number[]) => Uint8Array.from([...b, ...new Array(16).fill(0)]);
const text = (s: string) => new TextEncoder().encode(s);

describe("detectContentType", () => {
  it.each([
    ["a.jpg", undefined, bytes(0xff, 0xd8, 0xff, 0xe0), "image/jpeg"],
    ["a.gif", "", text("GIF89a......"), "image/gif"],
    ["a.webp", "image/webp", text("RIFF\0\0\0\0WEBPVP8 "), "image/webp"],
    ["a.wav", undefined, text("RIFF\0\0\0\0WAVEfmt "), "audio/wav"],
    ["v.ogg", "audio/ogg", text("OggS\0\u0002"), "audio/ogg"],
    ["r.webm", "video/webm", bytes(0x1a, 0x45, 0xdf, 0xa3), "video/webm"],
    ["r.webm", "audio/webm", bytes(0x1a, 0x45, 0xdf, 0xa3), "audio/webm"],
    ["a.m4a", undefined, Uint8Array.from([0, 0, 0, 0x20, ...text("ftypM4A "), 0, 0]), "audio/mp4"],
    ["a.mp4", undefined, Uint8Array.from([0, 0, 0, 0x20, ...text("ftypisom"), 0, 0]), "video/mp4"],
    ["a.mp3", undefined, text("ID3\u0003\0\0\0"), "audio/mpeg"],
    ["plan.docx", "application/octet-stream", bytes(0x50, 0x4b, 0x03, 0x04), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    ["notes.csv", "", text("a,b\n1,2\n"), "text/csv"],
    ["notes", undefined, text("just words"), "text/plain"],
  ])("%s declared %s is %s", (name, declared, b, expected) => {
    expect(detectContentType(b, name, declared, ALL).contentType).toBe(expected);
  });

  it("refuses bytes that contradict the declared type", () => {
    expect(() => detectContentType(text("%PDF-1.4"), "a.png", "image/png", ALL)).toThrow(/does not match/);
    expect(() => detectContentType(bytes(0xff, 0xd8, 0xff), "a.pdf", "application/pdf", ALL)).toThrow(/does not match/);
  });

  it("refuses active content by declared type, extension or sniffed markup", () => {
    expect(() => detectContentType(text("hello"), "a.txt", "text/html", ALL)).toThrow(/Active content/);
    expect(() => detectContentType(text("hello"), "a.svg", "", ALL)).toThrow(/Active content/);
    expect(() => detectContentType(text("  <script>alert(1)</script>"), "a.txt", "text/plain", ALL)).toThrow(/Active content/);
    expect(() => detectContentType(text("<?xml version='1.0'?><svg/>"), "a", undefined, ALL)).toThrow(/Active content/);
  });

  it("keeps to the allowed list (with major/* wildcards)", () => {
    expect(detectContentType(text("OggS\0"), "v.ogg", "audio/ogg", ["audio/*"]).contentType).toBe("audio/ogg");
    expect(() => detectContentType(text("%PDF-1.4"), "a.pdf", undefined, ["image/*"])).toThrow(/not accepted/);
  });
});

describe("safeFileName and contentDisposition", () => {
  it("drops paths, control and bidi characters and quotes; keeps the extension when cut", () => {
    expect(safeFileName("../../etc/passwd")).toBe("passwd");
    expect(safeFileName('C:\\Users\\me\\"bad"\r\n\u202egnp.exe')).toBe("badgnp.exe");
    expect(safeFileName("...")).toBe("file");
    const long = safeFileName(`${"x".repeat(300)}.pdf`);
    expect(long).toHaveLength(200);
    expect(long.endsWith(".pdf")).toBe(true);
  });

  it("gives an ASCII fallback and the UTF-8 name", () => {
    expect(contentDisposition("attachment", "résumé 1.pdf")).toBe(`attachment; filename="r_sum_ 1.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.pdf`);
  });
});
