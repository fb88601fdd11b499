// The learner's language. Everything a learner reads (checks' messages, charts' and diagrams'
// text, progress lines, summaries of tensors, models and vocabularies) follows SEQLAB_LANG:
// "ko" for Korean (the Korean edition of the course runs with SEQLAB_LANG=ko), English otherwise.
// It is read at each call, so a notebook may change it while it runs. This module imports
// nothing, so every layer (data, text, nn, ..., plot, show, display, exercises) may use it.

export type Lang = "en" | "ko";
export type Bilingual = string | { en: string; ko: string };

/** The learner's language: SEQLAB_LANG (en, the default, or ko). */
export function lang(): Lang {
  return process.env.SEQLAB_LANG === "ko" ? "ko" : "en";
}

/** A bilingual text in the learner's language (a plain string is the same in both). */
export function inLang(t: Bilingual, l: Lang = lang()): string {
  return typeof t === "string" ? t : t[l];
}

/** `tr(en, ko)`: the English or the Korean text, by the learner's language. */
export function tr(en: string, ko: string): string {
  return lang() === "ko" ? ko : en;
}
