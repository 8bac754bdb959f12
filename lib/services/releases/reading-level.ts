import { fleschKincaid } from "flesch-kincaid";
import { syllable } from "syllable";

// Flesch–Kincaid grade of a clinician briefing, computed live in the browser as it is typed, so no node:
// imports here. Nurses read these at the bedside between tasks: grade 8 or below is the target.

export const READING_GRADE_LIMIT = 8;

export type ReadingLevel = { grade: number; words: number; sentences: number; syllables: number; longestSentences: string[] };

// Only sentences longer than this are worth pointing at as "shorten me".
const LONG_SENTENCE_WORDS = 20;
const MAX_LONGEST = 3;

// Numbers with decimal points ("0.5", "2.1.0") are one word; so are contractions ("don't").
const WORD = /\p{N}+(?:[.,]\p{N}+)+|[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;
// A list marker at the start of a line: "-", "*", "•", "1." or "a)".
const BULLET = /^\s*(?:[-*•‣◦·]|\d+[.)]|[a-z][.)])\s+/iu;

export function readingLevel(text: string): ReadingLevel {
  const sentences = splitSentences(text);
  const wordLists = sentences.map(wordsOf);
  const words = wordLists.reduce((n, w) => n + w.length, 0);
  if (words === 0) return { grade: 0, words: 0, sentences: 0, syllables: 0, longestSentences: [] };
  // The syllable counter gives numbers 0 syllables; every spoken word has at least one.
  const syllables = wordLists.flat().reduce((n, w) => n + Math.max(1, syllable(w)), 0);
  const grade = Math.round(fleschKincaid({ sentence: sentences.length, word: words, syllable: syllables }) * 10) / 10;
  return { grade, words, sentences: sentences.length, syllables, longestSentences: longest(sentences, wordLists) };
}

// Each line is a unit of its own (a bullet or a heading ends where the line ends), then split on . ! ?
// followed by a space so that "v2.1.0" and "0.5 mL" stay whole.
function splitSentences(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(BULLET, ""))
    .flatMap((line) => line.split(/(?<=[.!?])\s+/))
    .map((s) => s.trim())
    .filter((s) => wordsOf(s).length > 0);
}

function wordsOf(sentence: string): string[] {
  return sentence.match(WORD) ?? [];
}

function longest(sentences: string[], wordLists: string[][]): string[] {
  return sentences
    .map((sentence, i) => ({ sentence, count: wordLists[i]!.length, i }))
    .filter((s) => s.count > LONG_SENTENCE_WORDS)
    .sort((a, b) => b.count - a.count || a.i - b.i)
    .slice(0, MAX_LONGEST)
    .map((s) => s.sentence);
}
