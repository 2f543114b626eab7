// The widget's own words: every language has every string (with its placeholders), and a language
// tag picks by its primary subtag with English as the fallback. The browser test shows them drawn.
import { describe, expect, it } from "vitest";
import { fill, stringsFor, TRANSLATIONS } from "../../src/widget/i18n";

describe("widget translations", () => {
  it("has every string in en, es, fr, de and pt, placeholders included", () => {
    expect(Object.keys(TRANSLATIONS).sort()).toEqual(["de", "en", "es", "fr", "pt"]);
    const keys = Object.keys(TRANSLATIONS.en!).sort();
    for (const [lang, strings] of Object.entries(TRANSLATIONS)) {
      expect(Object.keys(strings).sort(), lang).toEqual(keys);
      for (const value of Object.values(strings)) expect(value.trim(), lang).not.toBe("");
      expect(strings.here, lang).toContain("{name}");
      expect(strings.source, lang).toContain("{n}");
      expect(strings.agent_joined, lang).toContain("{name}");
    }
  });

  it("picks by the primary subtag and falls back to English", () => {
    expect(stringsFor("pt-BR")).toBe(TRANSLATIONS.pt);
    expect(stringsFor("DE")).toBe(TRANSLATIONS.de);
    expect(stringsFor("es_MX")).toBe(TRANSLATIONS.es);
    expect(stringsFor("it")).toBe(TRANSLATIONS.en);
    expect(stringsFor("")).toBe(TRANSLATIONS.en);
    expect(stringsFor(undefined)).toBe(TRANSLATIONS.en);
    expect(fill(TRANSLATIONS.fr!.here, { name: "Jane" })).toBe("Jane est là");
  });
});
