// AdamW with nanoGPT's defaults, and nanoGPT's learning-rate schedule (warm-up, cosine decay).
//
// nanoGPT's train.py: AdamW (β = (0.9, 0.99) for shakespeare_char) with weight decay 0.1 on every
// matrix (rank >= 2: the linear weights and both embeddings) and none on biases and LayerNorm
// gains; gradients clipped to global norm 1; a learning rate warmed up linearly for warmupIters,
// then decayed along a cosine to minLr at decayIters.
import * as tf from "@tensorflow/tfjs";

type NamedTensor = { name: string; tensor: tf.Tensor };

export interface AdamWOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay λ: θ ← θ − lr·λ·θ before the Adam step (default 0.1). */
  weightDecay?: number;
  /** Which variables decay (default: rank >= 2, as nanoGPT's configure_optimizers). */
  decays?: (v: tf.Variable) => boolean;
}

/**
 * AdamW (Loshchilov & Hutter 2019), as torch.optim.AdamW: θ ← θ(1 − lr·λ), then
 * θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε). `learningRate` may be changed between steps.
 */
export class AdamW {
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** The number of updates made so far. */
  step = 0;
  // The moments live in JavaScript: the update is one pass over each parameter's floats, where
  // tensor ops would be about fifteen kernel calls per parameter (~400 per step for a small GPT).
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private readonly decayed: boolean[];

  constructor(
    readonly variables: tf.Variable[],
    opts: AdamWOptions = {},
  ) {
    this.learningRate = opts.learningRate ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.1;
    const decays = opts.decays ?? ((v: tf.Variable) => v.rank >= 2);
    this.decayed = variables.map(decays);
    this.m = variables.map((v) => new Float32Array(v.size));
    this.v = variables.map((v) => new Float32Array(v.size));
  }

  /**
   * One update from gradients in the order of `variables` (the caller disposes them). With
   * `clipNorm`, the gradients are first scaled by min(1, clipNorm / (‖g‖ + 1e-6)) over all of them
   * (torch.nn.utils.clip_grad_norm_). Returns the global norm ‖g‖ before clipping.
   */
  update(grads: readonly tf.Tensor[], opts: { clipNorm?: number } = {}): number {
    const gs = this.read(grads);
    const norm = AdamW.globalNorm(gs);
    this.apply(gs, AdamW.clipScale(norm, opts.clipNorm));
    return norm;
  }

  /** The gradients' values, checked against the variables (train's loop reads them once per step). */
  read(grads: readonly tf.Tensor[]): Float32Array[] {
    if (grads.length !== this.variables.length)
      throw new RangeError(`AdamW: ${grads.length} gradients for ${this.variables.length} variables`);
    return grads.map((g) => g.dataSync() as Float32Array);
  }

  /** ‖g‖ over all the gradients, summed in float64. */
  static globalNorm(gs: readonly Float32Array[]): number {
    let sq = 0;
    for (const g of gs) for (let k = 0; k < g.length; k++) sq += g[k] * g[k];
    return Math.sqrt(sq);
  }

  /** torch's clip_grad_norm_ factor: min(1, clipNorm / (norm + 1e-6)); 1 without clipNorm. */
  static clipScale(norm: number, clipNorm?: number): number {
    return clipNorm !== undefined && clipNorm > 0 ? Math.min(1, clipNorm / (norm + 1e-6)) : 1;
  }

  /** The update itself, from gradient values (as read) scaled by `scale`. */
  apply(gs: readonly Float32Array[], scale = 1): void {
    this.step++;
    const lr = this.learningRate;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const stepSize = lr / (1 - b1 ** this.step);
    const c2 = Math.sqrt(1 - b2 ** this.step);
    this.variables.forEach((p, i) => {
      const g = gs[i],
        m = this.m[i],
        v = this.v[i];
      const x = Float32Array.from(p.dataSync() as Float32Array);
      const decay = this.decayed[i] ? 1 - lr * this.weightDecay : 1;
      for (let k = 0; k < x.length; k++) {
        const gk = g[k] * scale;
        const mk = (m[k] = b1 * m[k] + (1 - b1) * gk);
        const vk = (v[k] = b2 * v[k] + (1 - b2) * gk * gk);
        x[k] = x[k] * decay - (stepSize * mk) / (Math.sqrt(vk) / c2 + eps);
      }
      const t = tf.tensor(x, p.shape, "float32");
      p.assign(t);
      t.dispose();
    });
  }

  // ---- state, for checkpoints (the methods of tf.Optimizer that src/train/checkpoint.ts uses)

  getClassName(): string {
    return "AdamW";
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }

  /** The update count and every moment, as new tensors (the caller disposes them). */
  async getWeights(): Promise<NamedTensor[]> {
    return [
      { name: "step", tensor: tf.scalar(this.step, "int32") },
      ...this.variables.flatMap((_, i) => [
        { name: `m/${i}`, tensor: tf.tensor(this.m[i], this.variables[i].shape) },
        { name: `v/${i}`, tensor: tf.tensor(this.v[i], this.variables[i].shape) },
      ]),
    ];
  }

  /** Restore what getWeights gave (by name; shapes must match the variables). */
  async setWeights(weights: NamedTensor[]): Promise<void> {
    const byName = new Map(weights.map((w) => [w.name, w.tensor]));
    const get = (name: string, size: number) => {
      const t = byName.get(name);
      if (!t) throw new Error(`AdamW.setWeights: "${name}" is missing`);
      if (t.size !== size) throw new Error(`AdamW.setWeights: "${name}" has ${t.size} values, the variable ${size}`);
      return t.dataSync();
    };
    const step = get("step", 1)[0];
    this.variables.forEach((v, i) => {
      this.m[i].set(get(`m/${i}`, v.size));
      this.v[i].set(get(`v/${i}`, v.size));
    });
    this.step = step;
  }

  dispose(): void {
    // nothing on the backend: the moments are JavaScript arrays
  }
}

export interface LearningRateSchedule {
  learningRate: number;
  minLr: number;
  warmupIters: number;
  decayIters: number;
}

/** nanoGPT's get_lr(it): linear warm-up to learningRate, cosine decay to minLr at decayIters, then minLr. */
export function cosineLearningRate(it: number, s: LearningRateSchedule): number {
  if (it < s.warmupIters) return (s.learningRate * (it + 1)) / (s.warmupIters + 1);
  if (it > s.decayIters) return s.minLr;
  const ratio = (it - s.warmupIters) / Math.max(1, s.decayIters - s.warmupIters);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (s.learningRate - s.minLr);
}
