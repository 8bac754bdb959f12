import { describe, expect, it } from "vitest";
import { READING_GRADE_LIMIT, readingLevel } from "./reading-level";

// The clinician briefing written at approval must be readable at the bedside (grade ≤ 8).

const DENSE =
  "Following installation of the updated firmware, the intravenous infusion pump recalculates cumulative " +
  "administration volumes using a revised pharmacokinetic compensation algorithm, which necessitates " +
  "independent verification of programmed continuous infusion parameters by credentialed clinical personnel " +
  "prior to reinitiation of therapy in critically ill patients.";

describe("readingLevel", () => {
  it("a plain, short briefing is at or below grade 8", () => {
    const result = readingLevel("The pump will update tonight. Keep it plugged in. Call biomed if the screen stays dark.");
    expect(result.words).toBe(16);
    expect(result.sentences).toBe(3);
    expect(result.grade).toBeLessThanOrEqual(READING_GRADE_LIMIT);
    expect(result.longestSentences).toEqual([]);
  });

  it("a dense clinical paragraph is above grade 8 and is pointed out as the sentence to shorten", () => {
    const result = readingLevel(`${DENSE} Check the pump after the update.`);
    expect(result.sentences).toBe(2);
    expect(result.words).toBe(48);
    expect(result.grade).toBeGreaterThan(READING_GRADE_LIMIT);
    expect(result.longestSentences).toEqual([DENSE]);
  });

  it("computes the Flesch–Kincaid grade from the counts, rounded to one decimal", () => {
    // 0.39 × (3 / 1) + 11.8 × (3 / 3) − 15.59 = −2.62
    expect(readingLevel("The cat sat.")).toEqual({ grade: -2.6, words: 3, sentences: 1, syllables: 3, longestSentences: [] });
  });

  it.each(["", "   \n\t  ", "- \n* \n..."])("empty text %j is grade 0 with no words", (text) => {
    expect(readingLevel(text)).toEqual({ grade: 0, words: 0, sentences: 0, syllables: 0, longestSentences: [] });
  });

  it("bullets and line breaks count as sentences", () => {
    const text = "What changes\n- Faster occlusion alarms\n* New drug library\n• Clock drift fixed\n1. Restart once";
    const result = readingLevel(text);
    expect(result.sentences).toBe(5);
    expect(result.words).toBe(13);
    // The same words run together as one sentence read harder.
    expect(readingLevel(text.replace(/\n[-*•]?\s*(1\.)?\s*/g, " ")).grade).toBeGreaterThan(result.grade);
  });

  it("decimal numbers and contractions are single words; version numbers do not end a sentence", () => {
    const result = readingLevel("Don't set the rate above 0.5 mL per hour on v2.1.0 pumps.");
    expect(result.sentences).toBe(1);
    expect(result.words).toBe(13);
  });

  it("lists at most three long sentences, longest first", () => {
    const long = (n: number) => `${Array.from({ length: n }, () => "word").join(" ")}.`;
    const text = [long(22), long(30), long(10), long(25), long(21)].join(" ");
    expect(readingLevel(text).longestSentences.map((s) => s.split(" ").length)).toEqual([30, 25, 22]);
  });
});
