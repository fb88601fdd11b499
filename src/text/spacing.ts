// Korean word spacing (띄어쓰기) as sequence labelling: the syllables of a sentence with its
// spaces removed, and for each syllable whether a space follows it.

export interface SpacingExample {
  /** The characters of the sentence (NFC) without whitespace; Hangul syllables, and anything else. */
  syllables: string[];
  /** 1 when a space follows the syllable in the sentence, else 0; the last is always 0. */
  labels: Int32Array;
}

/**
 * Labels for word spacing: "아버지가 방에" → syllables 아 버 지 가 방 에, labels 0 0 0 1 0 0.
 * Runs of whitespace count as one space; leading and trailing whitespace are dropped.
 */
export function spacingLabels(sentence: string): SpacingExample {
  const syllables: string[] = [];
  const labels: number[] = [];
  for (const ch of sentence.normalize("NFC")) {
    if (/\s/u.test(ch)) {
      if (labels.length) labels[labels.length - 1] = 1;
      continue;
    }
    syllables.push(ch);
    labels.push(0);
  }
  if (labels.length) labels[labels.length - 1] = 0;
  return { syllables, labels: Int32Array.from(labels) };
}

/**
 * The inverse: put a space after every syllable labelled 1 (a string of syllables is split into
 * characters). applySpacing(spacingLabels(s)) is s with whitespace runs made single spaces and
 * trimmed. A label on the last syllable is ignored, as is anything other than 1 (e.g. a model's 0).
 */
export function applySpacing(syllables: string | readonly string[], labels: ArrayLike<number>): string {
  const syl = typeof syllables === "string" ? Array.from(syllables) : syllables;
  if (labels.length !== syl.length) {
    throw new RangeError(`applySpacing: ${syl.length} syllables but ${labels.length} labels`);
  }
  let s = "";
  for (let i = 0; i < syl.length; i++) {
    s += syl[i];
    if (labels[i] === 1 && i + 1 < syl.length) s += " ";
  }
  return s;
}
