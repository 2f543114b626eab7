// Distinct active users per day as a HyperLogLog sketch (2^10 registers, ~3% standard error, exact
// by linear counting for small audiences), so "active users in a period" merges one small row per
// day instead of reading every user. Registers are stored as hex text (2 characters each) so a D1
// statement can raise one register with substr/max, which is idempotent (a retried flush is harmless).
export const HLL_P = 10;
export const HLL_M = 1 << HLL_P;

/** FNV-1a with the murmur3 finalizer: 32 well-mixed bits of a user id. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The register a user raises and the value (rank) it raises it to. */
export function hllSlot(userId: string): { index: number; rank: number } {
  const h = hash32(userId);
  const rest = (h << HLL_P) >>> 0;
  return { index: h >>> (32 - HLL_P), rank: rest === 0 ? 32 - HLL_P + 1 : Math.clz32(rest) + 1 };
}

export const rankHex = (rank: number) => rank.toString(16).toUpperCase().padStart(2, "0");

/** The estimated number of distinct users over the union of the given day sketches. */
export function hllCount(sketches: string[]): number {
  if (!sketches.length) return 0;
  const registers = new Uint8Array(HLL_M);
  for (const s of sketches) {
    for (let j = 0; j < HLL_M; j++) {
      const v = parseInt(s.substr(j * 2, 2), 16) || 0;
      if (v > registers[j]!) registers[j] = v;
    }
  }
  let sum = 0;
  let zeros = 0;
  for (const r of registers) {
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / HLL_M);
  const estimate = (alpha * HLL_M * HLL_M) / sum;
  // Small range: linear counting is near exact while most registers are empty.
  if (estimate <= 2.5 * HLL_M && zeros > 0) return Math.round(HLL_M * Math.log(HLL_M / zeros));
  return Math.round(estimate);
}
