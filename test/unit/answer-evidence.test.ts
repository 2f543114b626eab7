// The answer gate's evidence (src/ai/evidence.ts): the asked-for answer type, the two-sentence window,
// and the cap when the window lacks the type.
import { describe, expect, it } from "vitest";
import { expectedAnswerType, hasAnswerType, passageEvidence, salientTerms, sentenceWindows, TYPE_MISMATCH_CAP, type TermWeights } from "../../src/ai/evidence";

const flat = (question: string): TermWeights => salientTerms(question).map((t) => ({ stem: t.stem, weight: 1, synonyms: [] }));

describe("expectedAnswerType", () => {
  it.each([
    ["How much does the Premium plan cost?", "quantity"],
    ["How many rest days should I take?", "quantity"],
    ["how long does a session last", "duration"],
    ["How soon is a coach assigned?", "duration"],
    ["How often should I deload?", "duration"],
    ["When does the challenge start?", "time"],
    ["What time does the meetup start?", "time"],
    ["On which day are there no sessions?", "time"],
    ["Where can I meet other members?", "place"],
    ["I'm new here, where do I start?", "place"],
    ["Thanks! And when is the Q&A?", "time"],
  ])("%s → %s", (q, type) => expect(expectedAnswerType(q)).toBe(type));

  it.each(["How do I cancel?", "Can I pause my membership?", "What is a deload week?", "Is creatine safe?", "My knee hurts when I squat, what should I do?", "Which shoes should I train in?"])(
    "%s asks for no particular type",
    (q) => expect(expectedAnswerType(q)).toBeNull(),
  );
});

describe("hasAnswerType", () => {
  it("quantity: digits, currency, number words", () => {
    expect(hasAnswerType("Starter costs $29 a month.", "quantity")).toBe(true);
    expect(hasAnswerType("Take at least two rest days.", "quantity")).toBe(true);
    expect(hasAnswerType("It is free of charge.", "quantity")).toBe(true);
    expect(hasAnswerType("Members meet in person at local meetups.", "quantity")).toBe(false);
  });
  it("time: days, clock times, periods", () => {
    expect(hasAnswerType("It starts on the first Monday.", "time")).toBe(true);
    expect(hasAnswerType("at 7 pm CET", "time")).toBe(true);
    expect(hasAnswerType("The recording is posted the next day.", "time")).toBe(true);
    expect(hasAnswerType("Members meet in person at local meetups in Berlin and London.", "time")).toBe(false);
  });
  it("duration: a quantity or a time", () => {
    expect(hasAnswerType("within 48 hours", "duration")).toBe(true);
    expect(hasAnswerType("about ten minutes", "duration")).toBe(true);
    expect(hasAnswerType("Be kind to each other.", "duration")).toBe(false);
  });
  it("place: a location phrase, a menu path or a name", () => {
    expect(hasAnswerType("Under Settings > Billing.", "place")).toBe(true);
    expect(hasAnswerType("Members meet in Berlin.", "place")).toBe(true);
    expect(hasAnswerType("Be kind.", "place")).toBe(false);
  });
});

describe("sentenceWindows", () => {
  it("two consecutive sentences each, or the only one", () => {
    expect(sentenceWindows("One here. Two  there.\nThree now.")).toEqual(["One here. Two there.", "Two there. Three now."]);
    expect(sentenceWindows("Just one sentence")).toEqual(["Just one sentence"]);
    expect(sentenceWindows("   ")).toEqual([]);
  });
});

describe("passageEvidence", () => {
  const page = "Members meet in person at local meetups in Berlin and London. Every member can join the forum. There is a live Q&A on the last Thursday of each month at 7 pm.";

  it("words scattered over distant sentences don't add up: the best window counts, not the passage", () => {
    const w = flat("Berlin forum Thursday");
    // Berlin (sentence 1) and Thursday (sentence 3) are never in one window.
    expect(passageEvidence("", page, w, null)).toBeCloseTo(2 / 3, 10);
    expect(passageEvidence("", "Berlin. Forum. Thursday.", w, null)).toBeCloseTo(2 / 3, 10);
    expect(passageEvidence("", "Berlin forum on Thursday.", w, null)).toBe(1);
  });

  it("the heading counts with every window", () => {
    const w = flat("community Berlin");
    expect(passageEvidence("Community", page, w, null)).toBe(1);
    expect(passageEvidence("", page, w, null)).toBeCloseTo(0.5, 10);
  });

  it("a window without the asked-for type is capped below the gate; one with it is not", () => {
    const q = "What time do the Berlin meetups start?";
    const w = flat(q);
    const capped = passageEvidence("", "Members meet at the Berlin meetups. Bring water.", w, expectedAnswerType(q));
    expect(capped).toBeLessThanOrEqual(TYPE_MISMATCH_CAP);
    const typed = passageEvidence("", "The Berlin meetups start at 7 pm. Bring water.", w, expectedAnswerType(q));
    expect(typed).toBeGreaterThan(TYPE_MISMATCH_CAP);
    // The same passage for a question that asks for no type: not capped.
    expect(passageEvidence("", "Members meet at the Berlin meetups. Bring water.", flat("Are there Berlin meetups?"), null)).toBe(1);
  });
});

describe("salientTerms", () => {
  it("keeps a question's numbers: an arithmetic question isn't reduced to its one generic word ('times')", () => {
    expect(salientTerms("What is 17 times 23?").map((t) => t.stem)).toEqual(["17", "time", "23"]);
  });
});
