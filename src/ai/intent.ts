// The conversation's intent and entities, offline: a small rule set over the user's words (greeting,
// pricing, scheduling, cancellation, handover, complaint; else "question"), and entities the rules can
// read reliably (email, phone, money, weekday, time, duration, plan). An LLM could replace it; the
// shape stays: { intent: { name, confidence, matched }, entities }.
import { words } from "./text";

export const INTENTS = ["greeting", "pricing", "scheduling", "cancellation", "handover", "complaint", "question"] as const;
export type IntentName = (typeof INTENTS)[number];

// Ordered by precedence: a complaint that asks for a person is a handover; "cancel my booking" is cancellation.
const RULES: { name: IntentName; patterns: RegExp[] }[] = [
  { name: "handover", patterns: [/\b(human|real person|agent|someone real|talk to (a|some)one|speak (to|with) (a|some)one|representative|operator)\b/i] },
  { name: "complaint", patterns: [/\b(complain|complaint|unacceptable|terrible|awful|disappointed|frustrat\w*|angry|worst|not happy|unhappy|scam|rip-?off)\b/i] },
  { name: "cancellation", patterns: [/\b(cancel\w*|unsubscribe|refund\w*|money back|stop (my )?(membership|subscription|plan)|quit|terminate)\b/i] },
  { name: "scheduling", patterns: [/\b(book\w*|schedul\w*|reschedul\w*|appointment|slot|calendar|session|availab\w*|tomorrow|next week|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/i] },
  { name: "pricing", patterns: [/\b(price\w*|pricing|cost\w*|how much|fee\w*|plan\w*|discount\w*|cheap\w*|expensive|pay\w*|\$|€|£|subscription)\b/i] },
  { name: "greeting", patterns: [/^\s*(hi|hello|hey|hiya|hallo|hola|good (morning|afternoon|evening))\b/i] },
];

export interface Intent {
  name: IntentName;
  confidence: number;
  matched: string[];
}

export function detectIntent(text: string): Intent {
  for (const rule of RULES) {
    const matched = rule.patterns.flatMap((p) => (p.exec(text)?.[0] ? [p.exec(text)![0].toLowerCase()] : []));
    if (matched.length) {
      // A bare greeting is certain; a keyword inside a longer message less so.
      const confidence = rule.name === "greeting" && words(text).length <= 4 ? 0.95 : words(text).length <= 12 ? 0.8 : 0.6;
      return { name: rule.name, confidence, matched };
    }
  }
  return { name: "question", confidence: 0.5, matched: [] };
}

const WEEKDAYS = /\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/gi;

/** Entities in the text: lists of distinct values by kind (absent kinds are left out). */
export function extractEntities(text: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  const add = (kind: string, values: Iterable<string>) => {
    const list = [...new Set([...(found[kind] ?? []), ...[...values].map((v) => v.trim())])].filter(Boolean);
    if (list.length) found[kind] = list.slice(0, 10);
  };
  add("email", text.match(/[\w.+-]{1,64}@[\w-]{1,63}(\.[\w-]{1,63})+/g) ?? []);
  add("phone", (text.match(/\+\d[\d ()-]{6,18}\d/g) ?? []).map((p) => p.replace(/[ ()-]/g, "")));
  add("money", text.match(/[$€£]\s?\d+(?:[.,]\d{1,2})?|\b\d+(?:[.,]\d{1,2})?\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\b/gi) ?? []);
  add("weekday", (text.match(WEEKDAYS) ?? []).map((d) => d.toLowerCase()));
  add("time", text.match(/\b(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s?(?:am|pm)\b|\b(?:[01]?\d|2[0-3]):[0-5]\d\b/gi) ?? []);
  add("duration", text.match(/\b\d+\s?(?:minutes?|mins?|hours?|days?|weeks?|months?)\b/gi) ?? []);
  add("plan", (text.match(/\b(starter|coached|premium|basic|pro|annual|monthly|yearly)\s+plan\b/gi) ?? []).map((p) => p.toLowerCase()));
  return found;
}
