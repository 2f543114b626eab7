// Many rows bound to one statement as a JSON array (read back with json_each(?)), split so that no
// bound string comes near D1's limit of 2 MB per value.

/** A chunk's size in UTF-8 bytes: half of D1's 2 MB per bound string. */
export const JSON_CHUNK_BYTES = 1_000_000;

/** UTF-8 length without encoding (a surrogate pair counts 2 + 2 = 4 bytes). */
function utf8Bytes(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

/**
 * The items as JSON arrays, in order, each under `maxBytes` (one item larger than that travels alone:
 * D1 refuses it with its own error if it passes the 2 MB). No items, no chunks.
 */
export function jsonChunks(items: readonly unknown[], maxBytes = JSON_CHUNK_BYTES): string[] {
  const chunks: string[] = [];
  let open: string[] = [];
  let size = 2;
  for (const item of items) {
    const json = JSON.stringify(item);
    const bytes = utf8Bytes(json) + 1;
    if (open.length && size + bytes > maxBytes) {
      chunks.push(`[${open.join(",")}]`);
      open = [];
      size = 2;
    }
    open.push(json);
    size += bytes;
  }
  if (open.length) chunks.push(`[${open.join(",")}]`);
  return chunks;
}
