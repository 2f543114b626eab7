// Factories for conversation-file tests: small real files (valid signatures) and multipart uploads.
import { api } from "./helpers";

/** A 1×1 PNG (a real, decodable image). */
export const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);
export const PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
/** The first bytes of an Ogg/Opus voice note (Telegram's voice format). */
export const OGG = Uint8Array.from([0x4f, 0x67, 0x67, 0x53, 0x00, 0x02, ...new Array(40).fill(1)]);

export function form(files: { name: string; type?: string; bytes: Uint8Array | string }[], field = "files"): FormData {
  const fd = new FormData();
  for (const f of files) fd.append(field, new File([f.bytes], f.name, f.type === undefined ? {} : { type: f.type }));
  return fd;
}

export function uploadFiles(conversationId: string, token: string, files: { name: string; type?: string; bytes: Uint8Array | string }[], path?: string) {
  return api(path ?? `/api/v1/conversations/${conversationId}/files`, { method: "POST", token, body: form(files) });
}

export async function uploadOne(conversationId: string, token: string, name = "photo.png", bytes: Uint8Array = PNG, type = "image/png") {
  const res = await uploadFiles(conversationId, token, [{ name, type, bytes }]);
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { files: { id: string; name: string; content_type: string; size: number; download_url: string }[] }).files[0]!;
}
