// A character or word language model: tokens → embedding (or one-hot) → RNN/LSTM/GRU → a dense
// layer over the vocabulary, trained to predict each next token. Sampling carries the recurrent
// state step by step: the prefix is read once, then each new token costs one cell step.
//
//   const lm = new LanguageModel({ vocabSize: vocab.size, hiddenSize: 32, cell: "rnn" }); // d2l ch. 8
//   const loss = lm.loss(batch);                    // batch = {x, y, shape} from seqDataIterRandom
//   lm.predict("time traveller ", 20, vocab, { greedy: true });
import * as tf from "@tensorflow/tfjs";
import { subSeed } from "../data/random";
import { Dense } from "../nn";
import { Module, prefixed } from "../nn/module";
import { crossEntropy } from "../nn/losses";
import { checkShape } from "../nn/shape";
import { idsTensor, toTensor, type TensorInput, type TokenBatch } from "./tensor-input";

export type { TokenBatch } from "./tensor-input";
import type { SequenceInput } from "./input";
import { disposeState, type CellKind, type Recurrent, type RecurrentState } from "./recurrent";
import { generatorOf, sampleToken, type GenerateOptions } from "./sampling";
import { RecurrentStack } from "./stack";

export interface LanguageModelOptions {
  vocabSize: number;
  hiddenSize: number;
  /** Embedding size; 0 or omitted: one-hot inputs (d2l's RNN from scratch). */
  embedDim?: number;
  /** Initial embedding values uniform in ±embedScale (default 0.05). */
  embedScale?: number;
  /** "lstm" (default), "gru" or "rnn". */
  cell?: CellKind;
  /** Seed of the initial parameters (default 0). */
  seed?: number;
  /** fusedLstm for the LSTM (default true). */
  fused?: boolean;
  /**
   * Size of a context vector [batch, contextSize] appended to every step's input (an
   * encoder–decoder's summary of the source, as d2l's Seq2SeqDecoder); then pass `context`.
   */
  contextSize?: number;
}

/** What predict() needs of a vocabulary (a seqlab Vocab has both). */
export interface TokenVocab {
  encode(tokens: Iterable<string>): ArrayLike<number>;
  decode(ids: ArrayLike<number>): string[];
}

export class LanguageModel extends Module {
  /** The input layer and the recurrent layer: what a pretrained LM hands on (to a classifier, or an encoder–decoder). */
  readonly stack: RecurrentStack;
  readonly head: Dense;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly contextSize: number;
  readonly name: string;

  /** `stack`: use this one (e.g. a pretrained model's, shared or cloned) instead of making one. */
  constructor(opts: LanguageModelOptions, name = "languageModel", stack?: RecurrentStack) {
    super();
    this.name = name;
    const seed = opts.seed ?? 0;
    this.vocabSize = opts.vocabSize;
    this.hiddenSize = opts.hiddenSize;
    this.contextSize = opts.contextSize ?? 0;
    // the input layer subSeed(seed, 0), the recurrent layer subSeed(seed, 1), the softmax layer subSeed(seed, 2)
    this.stack =
      stack ??
      new RecurrentStack(
        {
          vocabSize: opts.vocabSize,
          embedDim: opts.embedDim,
          embedScale: opts.embedScale,
          hiddenSize: opts.hiddenSize,
          cell: opts.cell,
          seed,
          fused: opts.fused,
          extraInputSize: this.contextSize,
        },
        undefined,
        name,
      );
    if (this.stack.layers.length !== 1)
      throw new RangeError(`${name}: a language model runs one recurrent layer, the stack has ${this.stack.layers.length}`);
    this.head = new Dense(opts.hiddenSize, opts.vocabSize, { seed: subSeed(seed, 2) });
  }

  get input(): SequenceInput {
    return this.stack.input;
  }

  get rnn(): Recurrent {
    return this.stack.layers[0];
  }

  /** The all-zeros state for a batch. */
  zeroState(batch: number): RecurrentState {
    return this.rnn.zeroState(batch);
  }

  /** The step inputs, with the context appended when the model has one: [B, T, in] → [B, T, in + contextSize]. */
  private withContext(where: string, xs: tf.Tensor3D, context: tf.Tensor | undefined): tf.Tensor3D {
    if (!this.contextSize) {
      if (context) throw new Error(`${where}: this model has no context input (contextSize is 0)`);
      return xs;
    }
    if (!context) throw new Error(`${where}: this model needs a context of shape [batch, ${this.contextSize}]`);
    const [B, T] = xs.shape;
    checkShape(where, "context", context.shape, [B, this.contextSize]);
    return tf.concat([xs, tf.tile(tf.reshape(context, [B, 1, this.contextSize]), [1, T, 1])], 2) as tf.Tensor3D;
  }

  /**
   * ids [batch, steps] (and a state to continue from) → logits [batch, steps, vocab] and the final
   * state. `shape` is that of flat ids; `context` [batch, contextSize] when the model has one.
   */
  apply(
    ids: TensorInput,
    state?: RecurrentState,
    opts: { shape?: readonly number[]; context?: tf.Tensor } = {},
  ): { logits: tf.Tensor3D; state: RecurrentState } {
    const where = `${this.name}.apply`;
    return tf.tidy(() => {
      const x = this.input.tensor(where, ids, opts.shape);
      if (state) this.rnn.checkState(where, state, x.shape[0]);
      const { hs, state: last } = this.rnn.run(this.withContext(where, this.input.apply(where, x), opts.context), state);
      return { logits: this.head.apply(hs) as tf.Tensor3D, state: last };
    });
  }

  /** One step: ids [batch] and the state → logits [batch, vocab] and the new state. */
  step(ids: TensorInput, state: RecurrentState, context?: tf.Tensor): { logits: tf.Tensor2D; state: RecurrentState } {
    const where = `${this.name}.step`;
    return tf.tidy(() => {
      const x = toTensor(ids, "int32");
      checkShape(where, "token ids", x.shape, ["batch"]);
      this.rnn.checkState(where, state, x.shape[0]);
      const B = x.shape[0];
      const input = tf.reshape(
        this.withContext(where, tf.reshape(this.input.applyStep(where, x), [B, 1, this.input.size]) as tf.Tensor3D, context),
        [B, -1],
      ) as tf.Tensor2D;
      const next = this.rnn.step(input, state);
      return { logits: this.head.apply(next.h) as tf.Tensor2D, state: next };
    });
  }

  /** The state carried between loss() calls with `carry` (d2l's sequential partitioning). */
  private carried: RecurrentState | undefined;

  /** Drop the carried state: the next `carry` call starts from zeros. */
  resetState(): void {
    disposeState(this.carried);
    this.carried = undefined;
  }

  /**
   * Mean cross-entropy of the next-token predictions (masked, with batch.mask), from `state`
   * (default zeros). With `carry`, start from the state the previous `carry` call ended in (zeros
   * after resetState(), with `reset`, or when the batch size changes) and keep this call's final
   * state, detached, for the next one: d2l's training on sequential batches, where row i of a
   * batch continues row i of the previous one.
   */
  loss(batch: TokenBatch, opts: { state?: RecurrentState; carry?: boolean; reset?: boolean } = {}): tf.Scalar {
    const where = `${this.name}.loss`;
    if (opts.reset) this.resetState();
    return tf.tidy(() => {
      const bind: Record<string, number> = {};
      const x = this.input.tensor(where, batch.x, batch.shape, bind);
      const y = idsTensor(batch.y, batch.shape);
      checkShape(where, "targets", y.shape, ["batch", "steps"], bind);
      let mask: tf.Tensor | undefined;
      if (batch.mask !== undefined) {
        mask = toTensor(batch.mask, "float32", batch.shape);
        checkShape(where, "mask", mask.shape, ["batch", "steps"], bind);
      }
      let state = opts.state;
      if (opts.carry && this.carried && this.carried.h.shape[0] === x.shape[0]) state = this.carried;
      const { logits, state: last } = this.apply(x, state);
      const loss = crossEntropy(logits, y, mask);
      if (opts.carry) {
        const previous = this.carried;
        this.carried = { h: tf.keep(tf.clone(last.h)) };
        if (last.c) this.carried.c = tf.keep(tf.clone(last.c));
        disposeState(previous);
      }
      return loss;
    });
  }

  /**
   * Continue from `state` (not disposed), feeding `first` (one id per row) and then each chosen
   * token: up to `steps` tokens per row. A row stops at `eosId` (left out of its result).
   */
  generateFrom(
    state: RecurrentState,
    first: ArrayLike<number>,
    steps: number,
    opts: GenerateOptions & { eosId?: number; context?: tf.Tensor } = {},
  ): number[][] {
    const random = generatorOf(opts);
    const B = first.length;
    const V = this.vocabSize;
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Array<boolean>(B).fill(false);
    const cur = Array.from(first);
    let s = state;
    try {
      for (let i = 0; i < steps && done.includes(false); i++) {
        const { logits, state: next } = this.step(cur, s, opts.context);
        if (s !== state) disposeState(s);
        s = next;
        const L = logits.dataSync();
        logits.dispose();
        for (let b = 0; b < B; b++) {
          if (done[b]) continue;
          const id = sampleToken(L.subarray(b * V, (b + 1) * V), opts, random);
          cur[b] = id;
          if (id === opts.eosId) done[b] = true;
          else out[b].push(id);
        }
      }
    } finally {
      if (s !== state) disposeState(s);
    }
    return out;
  }

  /**
   * `steps` new token ids after `prefix` (at least one id): the prefix is read once, then the
   * state is carried one step per token. Greedy, or sampled at `temperature` from `seed`.
   */
  sample(prefix: ArrayLike<number>, steps: number, opts: GenerateOptions = {}): number[] {
    const ids = Array.from(prefix);
    if (ids.length === 0) throw new Error(`${this.name}.sample: the prefix needs at least one token (e.g. <bos>)`);
    let state: RecurrentState;
    if (ids.length > 1) {
      const o = this.apply([ids.slice(0, -1)]);
      o.logits.dispose();
      state = o.state;
    } else state = this.zeroState(1);
    try {
      return this.generateFrom(state, [ids[ids.length - 1]], steps, opts)[0];
    } finally {
      disposeState(state);
    }
  }

  /**
   * d2l's predict_ch8: the prefix followed by `steps` generated tokens, as text. Characters by
   * default; pass a tokenizer (e.g. a WordTokenizer) for words.
   */
  predict(
    prefix: string,
    steps: number,
    vocab: TokenVocab,
    opts: GenerateOptions & { tokenizer?: { tokenize(text: string): string[]; detokenize(tokens: readonly string[]): string } } = {},
  ): string {
    const tokens = opts.tokenizer ? opts.tokenizer.tokenize(prefix) : Array.from(prefix);
    const generated = vocab.decode(this.sample(vocab.encode(tokens), steps, opts));
    return opts.tokenizer ? opts.tokenizer.detokenize([...tokens, ...generated]) : prefix + generated.join("");
  }

  namedVariables(): Record<string, tf.Variable> {
    return { ...this.stack.namedVariables(), ...prefixed("dense/", this.head.namedVariables()) };
  }

  dispose(): void {
    this.resetState();
    super.dispose();
  }
}
