// Do two implementations of one function agree? The course writes each idea from its equation in
// a few lines of tfjs and then asks whether the library's (fused, hand-differentiated) version
// computes the same thing: the same values, and the same gradient with respect to every input.
//
// Gradients are compared through one scalar, Σ f(x) ⊙ R with R a fixed random tensor (seeded):
// every output element then contributes with its own weight, so a wrong gradient anywhere shows,
// where the gradient of Σ f(x) alone would hide errors that sum to zero (softmax rows do).
// Differences are relative to the reference's largest magnitude (at least 1), so float32 rounding
// in a long computation passes and a real mistake (a missing scale, a wrong mask) does not.
import * as tf from "@tensorflow/tfjs";
import { display } from "../display/display";
import { normalValues } from "../nn/init";
import { lang } from "../lang";

export interface AgreeOptions {
  /** Largest relative difference allowed in the values (default 1e-5). */
  tolerance?: number;
  /** Largest relative difference allowed in the gradients (default 1e-4). */
  gradTolerance?: number;
  /** Seed of the random weights R of Σ f ⊙ R (default 0). */
  seed?: number;
  /** Compare values only (for functions of integer inputs, or without gradients). */
  valuesOnly?: boolean;
  /** agree(): do not print the result line. */
  quiet?: boolean;
}

export interface Agreement {
  ok: boolean;
  /** Largest |mine − reference| / max(1, max |reference|) over the values. */
  value: number;
  /** The same for the gradient with respect to each input (empty with valuesOnly). */
  grads: number[];
  message: string;
}

/** Largest |a − b| relative to max(1, max |b|); Infinity when the shapes differ. */
export function relativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return Infinity;
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return worst / scale;
}

/**
 * Compare `mine` with `reference` on `inputs`: values, and (unless valuesOnly) the gradients of
 * Σ f(inputs) ⊙ R with respect to every input. Returns the differences and a one-line message;
 * neither prints nor throws (agree() does).
 */
export function agreement(
  name: string,
  mine: (...xs: tf.Tensor[]) => tf.Tensor,
  reference: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  opts: AgreeOptions = {},
): Agreement {
  const tol = opts.tolerance ?? 1e-5;
  const gradTol = opts.gradTolerance ?? 1e-4;
  const { value, grads } = tf.tidy(() => {
    const a = mine(...inputs);
    const b = reference(...inputs);
    const value = relativeDifference(a, b);
    if (opts.valuesOnly || value === Infinity) return { value, grads: [] as number[] };
    const R = tf.tensor(normalValues(b.size, 1, opts.seed ?? 0), b.shape);
    const weighted =
      (f: (...xs: tf.Tensor[]) => tf.Tensor) =>
      (...xs: tf.Tensor[]) =>
        tf.sum(tf.mul(f(...xs), R));
    const ga = tf.grads(weighted(mine))(inputs);
    const gb = tf.grads(weighted(reference))(inputs);
    return { value, grads: ga.map((g, i) => relativeDifference(g, gb[i])) };
  });
  const ok = value <= tol && grads.every((g) => g <= gradTol);
  const ko = lang() === "ko";
  const f = (x: number) => (x === Infinity ? "∞" : x.toExponential(1));
  const parts = [`${ko ? "값" : "values"} ${f(value)}`];
  if (grads.length) parts.push(`${ko ? "기울기" : "gradients"} ${grads.map(f).join(", ")}`);
  const what =
    value === Infinity
      ? ko
        ? "모양이 다름"
        : "the shapes differ"
      : `${ko ? "최대 상대 차이" : "largest relative difference"}: ${parts.join("; ")}`;
  return { ok, value, grads, message: `${ok ? "✓" : "✗"} ${name}: ${what}` };
}

/**
 * agreement(), shown as one line under the cell; throws when the two disagree, so a notebook
 * stops where its hand-written piece and the library part ways. Returns nothing, so that a cell
 * ending with it shows the line once.
 */
export function agree(
  name: string,
  mine: (...xs: tf.Tensor[]) => tf.Tensor,
  reference: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  opts: AgreeOptions = {},
): void {
  const r = agreement(name, mine, reference, inputs, opts);
  if (!opts.quiet) display({ "text/plain": r.message });
  if (!r.ok) throw new Error(`${r.message.slice(2)} — ${lang() === "ko" ? "라이브러리와 다릅니다" : "does not agree with the library"}`);
}
