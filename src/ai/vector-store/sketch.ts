// The D1 vector store's compact forms of a vector: int8 storage, the ternary sketch that a query
// scans, and scoring both straight from SQLite's hex() text (no per-row decoding into bytes).
//
// The sketch: the vector folded to at most FOLD dimensions (u_b = Σ s_i·v_i over i ≡ b mod FOLD,
// with fixed pseudo-random signs s_i), then two bits a folded dimension: "u_b > 0" and "u_b < 0".
// A zero stays zero, which matters for sparse vectors (the local provider's hashed features leave
// most of 2048 dimensions at 0): on SciFact the sign-only sketch of all 2048 dimensions (256 B) kept
// half of the exact top 100 among 400 candidates, this one (128 B) keeps as many among 800 and
// halves what a scan reads. Score: q'·t, with q' the query folded the same way.

const SCALE = 127;
/** Folded dimensions of a sketch: 2 bits each, so 128 bytes whatever the model's dimensions beyond 512. */
export const FOLD = 512;

/** Normalised vectors (|x| <= 1) as int8: round(x * 127). */
export function toInt8(v: Float32Array): ArrayBuffer {
  const out = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.max(-SCALE, Math.min(SCALE, Math.round(v[i]! * SCALE)));
  return out.buffer;
}

const foldSign = (i: number) => ((Math.imul(i + 1, 0x9e3779b1) >>> 0) & 0x80000000 ? -1 : 1);

function fold(v: Float32Array): Float32Array {
  if (v.length <= FOLD) return v;
  const u = new Float32Array(FOLD);
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) u[i % FOLD]! += foldSign(i) * v[i]!;
  return u;
}

/** Bit b: folded dimension b is positive; bit B + b: it is negative (B = folded dimensions). */
export function toSketch(v: Float32Array): ArrayBuffer {
  const u = fold(v);
  const out = new Uint8Array(Math.ceil((2 * u.length) / 8));
  for (let b = 0; b < u.length; b++) {
    const bit = u[b]! > 0 ? b : u[b]! < 0 ? u.length + b : -1;
    if (bit >= 0) out[bit >> 3]! |= 1 << (bit & 7);
  }
  return out.buffer;
}

// Hex digit values by character code (SQLite's hex() writes upper case).
const HEX = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  HEX["0123456789ABCDEF".charCodeAt(i)] = i;
  HEX["0123456789abcdef".charCodeAt(i)] = i;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = (HEX[hex.charCodeAt(2 * i)]! << 4) | HEX[hex.charCodeAt(2 * i + 1)]!;
  return out;
}

export interface SketchScorer {
  /** Length of a comparable sketch as hex text. */
  hexLength: number;
  /** table[p * 16 + n] = the sum of the weights of the set bits of hex digit n at position p. */
  table: Float32Array;
  /** Hex positions where some weight is not zero: the only ones that can change a score. */
  active: Int32Array;
}

/** The per-query lookup table: weights q' for the "positive" bits and −q' for the "negative" ones. */
export function sketchScorer(query: Float32Array): SketchScorer {
  const u = fold(query);
  const bits = 2 * u.length;
  const weight = (bit: number) => (bit < u.length ? u[bit]! : bit < bits ? -u[bit - u.length]! : 0);
  const positions = Math.ceil(bits / 8) * 2;
  const table = new Float32Array(positions * 16);
  const active: number[] = [];
  for (let p = 0; p < positions; p++) {
    // hex() writes a byte high nibble first: even positions hold bits 4..7 of byte p/2.
    const base = (p >> 1) * 8 + (p & 1 ? 0 : 4);
    let used = false;
    for (let n = 1; n < 16; n++) {
      const low = n & (n - 1); // n without its lowest set bit: already computed
      const w = weight(base + Math.log2(n ^ low));
      if (w !== 0) used = true;
      table[p * 16 + n] = table[p * 16 + low]! + w;
    }
    if (used) active.push(p);
  }
  return { hexLength: positions, table, active: Int32Array.from(active) };
}

export function sketchScore(s: SketchScorer, text: string, offset: number): number {
  let score = 0;
  const { table, active } = s;
  for (let i = 0; i < active.length; i++) {
    const p = active[i]!;
    score += table[p * 16 + HEX[text.charCodeAt(offset + p)]!]!;
  }
  return score;
}

/**
 * Scores a slice's "seq:HEX,seq:HEX,…" text in place. A sketch of another length belongs to vectors
 * of other dimensions (the embedding model changed before reprocessing) and can't be compared.
 */
export function scoreSketches(items: string, s: SketchScorer, found: (seq: number, score: number) => void): void {
  let start = 0;
  while (start < items.length) {
    const colon = items.indexOf(":", start);
    let end = items.indexOf(",", colon);
    if (end < 0) end = items.length;
    if (end - colon - 1 === s.hexLength) found(Number(items.slice(start, colon)), sketchScore(s, items, colon + 1));
    start = end + 1;
  }
}

/**
 * Which int8 dimensions a rescoring has to read: a sparse query (a few dozen non-zero dimensions of
 * 2048 for the local provider) only needs those bytes of each candidate; a dense one needs all.
 */
export function rescoreDimensions(query: Float32Array): number[] | undefined {
  const dims: number[] = [];
  for (let i = 0; i < query.length; i++) if (query[i] !== 0) dims.push(i);
  return dims.length > 0 && dims.length <= query.length / 4 ? dims : undefined;
}

/**
 * Exact cosine of the (normalised) query with a stored vector given as hex: the bytes of `dims` only
 * (in that order), or the whole int8 vector, or a whole Float32 one (rows written before int8).
 */
export function exactScoreHex(query: Float32Array, hex: string, dims?: number[]): number {
  let s = 0;
  if (dims) {
    if (hex.length !== dims.length * 2) return Number.NEGATIVE_INFINITY; // other dimensions: not comparable
    for (let k = 0; k < dims.length; k++) {
      const byte = (HEX[hex.charCodeAt(2 * k)]! << 4) | HEX[hex.charCodeAt(2 * k + 1)]!;
      s += query[dims[k]!]! * ((byte << 24) >> 24);
    }
    return s / SCALE;
  }
  if (hex.length === query.length * 8) {
    const v = new Float32Array(hexBytes(hex).buffer);
    for (let i = 0; i < v.length; i++) s += query[i]! * v[i]!;
    return s;
  }
  if (hex.length !== query.length * 2) return Number.NEGATIVE_INFINITY;
  for (let i = 0; i < query.length; i++) {
    const q = query[i]!;
    if (q === 0) continue;
    const byte = (HEX[hex.charCodeAt(2 * i)]! << 4) | HEX[hex.charCodeAt(2 * i + 1)]!;
    s += q * ((byte << 24) >> 24);
  }
  return s / SCALE;
}
