// Answerability evidence: how much of the question's salient content (its content words, weighted by
// their IDF in the creator's knowledge, after Porter stemming) a passage covers. A word the knowledge
// base never uses weighs most, so "Can I bring my dog to the meetup?" is not answered by the meetup
// page; a WordNet synonym in the passage counts for part of the word. The same weights choose the
// sentences of the extractive answer.
import { broaderOf, phraseExpansions, synonymsOf, type QueryTerm } from "./synonyms";
import { idf, porter, type TermStats } from "./term-stats";
import { sentences, terms, words } from "./text";

// Words that shape a question but name no topic ("how much", "can you tell me", "is that normal").
const QUESTION_WORDS = new Set(
  "much many often soon long get got need want like please help tell know thing things way anyone someone somebody possible ok okay hi hello hey thanks thank really actually also im ive anything something".split(
    " ",
  ),
);
/** Credit for a synonym found instead of the word itself. */
export const SYNONYM_CREDIT = 0.6;
/** Credit for a WordNet hypernym found instead of the word ("partner" for "husband"). */
export const BROADER_CREDIT = 0.4;

export interface SalientTerm {
  word: string;
  stem: string;
  /** Synonyms, derived forms, and expansions of a WordNet phrase the word is part of. */
  synonyms: string[];
  /** Hypernyms one level up. */
  broader: string[];
}

/** The question's topic words, one per stem, with their synonyms. */
export function salientTerms(question: string): SalientTerm[] {
  const out: SalientTerm[] = [];
  const seen = new Set<string>();
  const phrases = phraseExpansions(question);
  // "What time…", "which day…" ask for a time (expectedAnswerType): the words are the question's form, not its topic.
  for (const word of terms(question.replace(/\b(?:what|which)\s+(?:time|days?)\b/giu, " "))) {
    if (QUESTION_WORDS.has(word)) continue;
    const stem = porter(word);
    if (seen.has(stem)) continue;
    seen.add(stem);
    const synonyms = [...new Set([...(phrases.get(stem) ?? []), ...synonymsOf(stem, word)])].filter((s) => s !== stem);
    out.push({ word, stem, synonyms, broader: broaderOf(stem).filter((s) => s !== stem && !synonyms.includes(s)) });
  }
  return out;
}

/** Stems and synonyms the statistics must cover (synonyms by their stem, which FTS5 matches as is). */
export function statsWords(salient: SalientTerm[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of salient) {
    m.set(t.stem, t.word);
    for (const s of [...t.synonyms, ...t.broader]) if (!m.has(s)) m.set(s, s);
  }
  return m;
}

export type TermWeights = { stem: string; weight: number; synonyms: string[]; broader?: string[] }[];

/**
 * A word the knowledge base never uses (nor any synonym of it) counts this many times its IDF: in a
 * small knowledge base IDF barely separates "never seen" from "seen once", yet an unseen word is the
 * clearest sign that the question's topic isn't covered ("Fitbit", "vegan", "dog").
 */
export const UNSEEN_FACTOR = 2;

/** Each salient term's weight: its IDF in the creator's knowledge (unseen words weigh most). */
export function termWeights(salient: SalientTerm[], stats: TermStats): TermWeights {
  return salient.map((t) => {
    // Known only through a synonym or a hypernym: unseen in part (as much as the relation's credit falls short).
    const known = stats.df.get(t.stem) ? 1 : t.synonyms.some((s) => stats.df.get(s)) ? SYNONYM_CREDIT : t.broader.some((s) => stats.df.get(s)) ? BROADER_CREDIT : 0;
    return { stem: t.stem, weight: idf(stats, t.stem) * (1 + (UNSEEN_FACTOR - 1) * (1 - known)), synonyms: t.synonyms, broader: t.broader };
  });
}

/** Weighted fraction of the question covered by a text (1 = every salient word present). */
export function coverage(text: string, weights: TermWeights): number {
  const total = weights.reduce((s, w) => s + w.weight, 0);
  if (!total) return 0;
  const have = new Set(words(text).map(porter));
  let got = 0;
  for (const w of weights) {
    if (have.has(w.stem)) got += w.weight;
    else if (w.synonyms.some((s) => have.has(s))) got += w.weight * SYNONYM_CREDIT;
    else if (w.broader?.some((s) => have.has(s))) got += w.weight * BROADER_CREDIT;
  }
  return got / total;
}

// What kind of answer a question asks for, from its wh-phrase at the start of a clause ("How much
// does…", "…, when can I…"): a quantity (a number, an amount, a price), a time (a day, a date, a clock
// time, a period), a duration/frequency (either), or a place. Most questions ask for none of these
// ("How do I…", "Can I…", "What is…") and are not checked.
export type AnswerType = "quantity" | "time" | "duration" | "place";

const WH = /(?:^|[,.;:!?]\s*|\b(?:and|so|but|then|also|ok|okay|please)\s+)(how\s+(?:much|many)|how\s+(?:long|soon|often)|when|what\s+time|(?:on\s+)?(?:which|what)\s+days?|at\s+what\s+time|where)\b/iu;

/** The answer type a question asks for, or null when it asks for none of them. */
export function expectedAnswerType(question: string): AnswerType | null {
  const m = WH.exec(question.trim());
  if (!m) return null;
  const wh = m[1]!.toLowerCase().replace(/\s+/g, " ");
  if (wh === "how much" || wh === "how many") return "quantity";
  if (wh.startsWith("how ")) return "duration";
  if (wh === "where") return "place";
  return "time";
}

const NUMBER_WORDS =
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million half quarter dozen once twice single double triple couple few several free percent";
const QUANTITY = new RegExp(`[0-9$€£¥%]|\\b(?:${NUMBER_WORDS.split(" ").join("|")})\\b`, "iu");
const TIME_WORDS =
  "monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays fridays saturdays sundays weekday weekdays weekend weekends january february march april may june july august september october november december " +
  "am pm noon midnight morning mornings afternoon evening evenings night nights tonight today tomorrow yesterday daily weekly monthly yearly annually annual " +
  "second seconds minute minutes hour hours day days week weeks month months year years immediately instantly";
const TIME = new RegExp(`[0-9]|\\b(?:${TIME_WORDS.split(" ").join("|")})\\b`, "iu");
// A place: a location preposition before a noun phrase, a menu path ("Settings > Billing"), or a name.
const PLACE = /\b(?:in|at|on|under|inside|near|from|via|through|online|anywhere|everywhere|here|there)\b|>|(?<=\S\s+)\p{Lu}\p{Ll}+/u;

/** Whether a text holds an answer of that type (a number for "how much", a day or time for "when"…). */
export function hasAnswerType(text: string, type: AnswerType): boolean {
  if (type === "quantity") return QUANTITY.test(text);
  if (type === "time") return TIME.test(text);
  if (type === "duration") return QUANTITY.test(text) || TIME.test(text);
  return PLACE.test(text);
}

/**
 * A passage whose best window lacks the asked-for answer type counts at most this much: below the
 * answer gate (ANSWER_MIN_EVIDENCE, 0.5), so "What time does the Berlin meetup start?" isn't answered
 * with the sentence that merely names the Berlin meetups.
 */
export const TYPE_MISMATCH_CAP = 0.4;

/** Two consecutive sentences (or the only one): what the evidence is measured on (the answer quotes the same span: answeringSentences' best sentence and the one after it). */
export function sentenceWindows(content: string): string[] {
  const ss = sentences(content.replace(/\s+/g, " ").trim());
  if (ss.length <= 1) return ss;
  const out: string[] = [];
  for (let i = 0; i + 1 < ss.length; i++) out.push(`${ss[i]} ${ss[i + 1]}`);
  return out;
}

/**
 * Evidence that a passage answers: the best weighted coverage of the question by its heading and two
 * consecutive sentences (not the whole passage: words scattered over unrelated sentences don't add up
 * to an answer), a window without the asked-for answer type kept at most TYPE_MISMATCH_CAP.
 */
export function passageEvidence(heading: string, content: string, weights: TermWeights, type: AnswerType | null): number {
  const windows = sentenceWindows(content);
  if (!windows.length) return Math.min(coverage(heading, weights), type ? TYPE_MISMATCH_CAP : 1);
  let best = 0;
  for (const w of windows) {
    const cov = coverage(`${heading}\n${w}`, weights);
    best = Math.max(best, type && !hasAnswerType(w, type) ? Math.min(cov, TYPE_MISMATCH_CAP) : cov);
  }
  return best;
}

export interface PickedSentence {
  text: string;
  source: number;
  order: number;
  score: number;
}

/**
 * The sentences that answer: by weighted coverage of the question, best first; then those of the same
 * sources that score at least half as well (context), at most `max`, back in document order.
 */
export function answeringSentences(
  sources: { title: string; content: string }[],
  weights: TermWeights,
  opts: { max: number; maxChars: number; skip: (s: string) => boolean },
): PickedSentence[] {
  const candidates: PickedSentence[] = [];
  sources.forEach((source, si) => {
    sentences(source.content.replace(/\s+/g, " ")).forEach((text, order) => {
      if (text.length < 12 || opts.skip(text)) return;
      // The source's title counts a little: "deload week" sentences under a "Recovery" heading.
      const score = coverage(text, weights) + 0.1 * coverage(source.title, weights) - si * 0.001;
      if (score > 0.05) candidates.push({ text, source: si, order, score });
    });
  });
  candidates.sort((a, b) => b.score - a.score);
  const best = candidates[0];
  if (!best) return [];
  const picked = [best];
  let chars = best.text.length;
  // The sentence right after the best one usually completes it ("It usually peaks 24 to 72 hours…").
  const next = candidates.find((c) => c.source === best.source && c.order === best.order + 1);
  if (next && opts.max > 1 && chars + next.text.length <= opts.maxChars) {
    picked.push(next);
    chars += next.text.length;
  }
  for (const c of candidates.slice(1)) {
    if (picked.includes(c)) continue;
    if (picked.length >= opts.max) break;
    if (c.score < best.score * 0.5 || c.source !== best.source || chars + c.text.length > opts.maxChars) continue;
    picked.push(c);
    chars += c.text.length;
  }
  return picked.sort((a, b) => a.source - b.source || a.order - b.order);
}

export type { QueryTerm };
