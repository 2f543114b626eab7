// Text helpers shared by embeddings, the FTS query builder, snippets and the extractive answer.

// A compact English stop-word list (the usual BM25 list): these carry no topic.
export const STOP_WORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below between both but by " +
    "can could did do does doing down during each few for from further had has have having he her here hers herself him " +
    "himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other " +
    "our ours ourselves out over own same she should so some such than that the their theirs them themselves then there " +
    "these they this those through to too under until up very was we were what when where which while who whom why will " +
    "with would you your yours yourself yourselves also may might must shall us"
  ).split(" "),
);

/** Lower-cased word tokens with diacritics removed (unicode letters and digits). */
export function words(text: string): string[] {
  return (
    text
      .normalize("NFKD")
      .replace(/\p{M}+/gu, "")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** Content words: no stop words, no single letters. */
export function terms(text: string): string[] {
  return words(text).filter((w) => w.length > 1 && !STOP_WORDS.has(w));
}

/** A light suffix stripper (plural, -ing, -ed, -ly): enough to match "refunds" with "refund". */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith("ies") && word.length > 4) return word.slice(0, -3) + "y";
  if (word.endsWith("sses")) return word.slice(0, -2);
  if (word.endsWith("ing") && word.length > 5) return word.slice(0, -3);
  if (word.endsWith("ed") && word.length > 4) return word.slice(0, -2);
  if (word.endsWith("ly") && word.length > 4) return word.slice(0, -2);
  if (word.endsWith("es") && word.length > 4 && /(ch|sh|x|z|ss)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith("s") && !word.endsWith("ss") && !word.endsWith("us") && !word.endsWith("is")) return word.slice(0, -1);
  return word;
}

/**
 * Sentences of a paragraph: split after . ! ? (and their CJK forms) followed by whitespace, keeping
 * abbreviations like "e.g." together. Never drops text ("support@example.com" stays whole).
 */
export function sentences(text: string): string[] {
  const out: string[] = [];
  let pending = "";
  for (const piece of text.split(/(?<=[.!?。！？]["')\]»”’]*)\s+/u)) {
    pending = pending ? `${pending} ${piece}` : piece;
    // "e.g." / "i.e." / "Dr.": not an end of sentence. (Single letters are: "room B." ends one.)
    if (/\b(e\.g|i\.e|etc|vs|dr|mr|mrs|ms|no|fig|st)\.$/iu.test(pending.trim())) continue;
    if (pending.trim()) out.push(pending.trim());
    pending = "";
  }
  if (pending.trim()) out.push(pending.trim());
  return out;
}

/** FNV-1a 32-bit hash: fast, stable across runtimes (the local embeddings must be deterministic). */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
