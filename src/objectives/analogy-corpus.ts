// A synthetic corpus with planted analogies, for word2vec and fastText.
//
// Each pair i of words (a_i, b_i) — king/queen, man/woman, ... — has its own topic words
// t_i1..t_iK, and each side of the relation has its own marker words (he/him/his for the a side,
// she/her/hers for the b side). A sentence about a_i holds a_i, some of pair i's topic words and
// one a-side marker, in random order; a sentence about b_i the same with a b-side marker. So
//
//   contexts(a_i) = topic_i + a-markers        contexts(b_i) = topic_i + b-markers
//
// and a model that turns shared contexts into shared directions learns v(a_i) ≈ topic_i + a,
// v(b_i) ≈ topic_i + b; then v(b_i) - v(a_i) + v(a_j) ≈ topic_j + b ≈ v(b_j): the analogy
// a_i : b_i :: a_j : b_j holds for every i ≠ j (and b_i : a_i :: b_j : a_j).
import { toRandom } from "../data/random";
import type { SeedLike } from "./common";

export interface PlantedAnalogyOptions {
  /** The word pairs (default: 8 English male/female pairs, king/queen first). */
  pairs?: readonly (readonly [string, string])[];
  /** The marker words of each side (default he/him/his and she/her/hers). */
  markers?: readonly [readonly string[], readonly string[]];
  /** Topic words per pair (default 3); pair i's are named t{i}a, t{i}b, ... */
  topicWords?: number;
  /** Topic words in each sentence (default 2). */
  topicsPerSentence?: number;
  /** Sentences about each word (default 40). */
  sentencesPerWord?: number;
  seed?: SeedLike;
}

export interface PlantedAnalogyCorpus {
  /** Sentences of words (tokenised), shuffled. */
  sentences: string[][];
  pairs: [string, string][];
  /** Every a_i : b_i :: a_j : b_j and b_i : a_i :: b_j : a_j, i ≠ j, as [a, b, c, d]. */
  analogies: [string, string, string, string][];
  /** The topic words of each pair. */
  topics: string[][];
  markers: [string[], string[]];
}

export const DEFAULT_ANALOGY_PAIRS: readonly (readonly [string, string])[] = [
  ["king", "queen"],
  ["man", "woman"],
  ["boy", "girl"],
  ["father", "mother"],
  ["son", "daughter"],
  ["brother", "sister"],
  ["uncle", "aunt"],
  ["husband", "wife"],
];

/** A seeded corpus in which every pair shares a topic and every side shares markers. */
export function plantedAnalogyCorpus(opts: PlantedAnalogyOptions = {}): PlantedAnalogyCorpus {
  const pairs = (opts.pairs ?? DEFAULT_ANALOGY_PAIRS).map(([a, b]) => [a, b] as [string, string]);
  const markers: [string[], string[]] = opts.markers
    ? [[...opts.markers[0]], [...opts.markers[1]]]
    : [
        ["he", "him", "his"],
        ["she", "her", "hers"],
      ];
  const nTopic = opts.topicWords ?? 3;
  const perSentence = Math.min(opts.topicsPerSentence ?? 2, nTopic);
  const perWord = opts.sentencesPerWord ?? 40;
  if (pairs.length < 2) throw new RangeError("plantedAnalogyCorpus: need at least 2 pairs");
  if (!(Number.isInteger(nTopic) && nTopic >= 1 && nTopic <= 26)) throw new RangeError(`topicWords must be in 1..26, got ${nTopic}`);
  if (markers[0].length < 1 || markers[1].length < 1) throw new RangeError("plantedAnalogyCorpus: each side needs a marker word");
  const all = new Set<string>();
  for (const w of [...pairs.flat(), ...markers.flat()]) {
    if (all.has(w)) throw new RangeError(`plantedAnalogyCorpus: the word ${JSON.stringify(w)} is used twice`);
    all.add(w);
  }
  const rng = toRandom(opts.seed);
  const topics = pairs.map((_, i) => Array.from({ length: nTopic }, (_, k) => `t${i}${String.fromCharCode(97 + k)}`));
  const sentences: string[][] = [];
  pairs.forEach((pair, i) => {
    pair.forEach((word, side) => {
      for (let n = 0; n < perWord; n++) {
        const topic = rng.shuffle([...topics[i]]).slice(0, perSentence);
        sentences.push(rng.shuffle([word, ...topic, rng.choice(markers[side])]));
      }
    });
  });
  rng.shuffle(sentences);
  const analogies: [string, string, string, string][] = [];
  for (let i = 0; i < pairs.length; i++) {
    for (let j = 0; j < pairs.length; j++) {
      if (i === j) continue;
      analogies.push([pairs[i][0], pairs[i][1], pairs[j][0], pairs[j][1]]);
      analogies.push([pairs[i][1], pairs[i][0], pairs[j][1], pairs[j][0]]);
    }
  }
  return { sentences, pairs, analogies, topics, markers };
}
