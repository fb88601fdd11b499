// The conversions from plain JavaScript data (number[][], Int32Array + shape) to tensors that the
// models accept. (Shape checks: src/nn/shape.ts.)
import * as tf from "@tensorflow/tfjs";
import { ShapeError } from "../nn/shape";

/** What the models accept as token ids or features: a tensor, nested arrays, or flat data + shape. */
export type TensorInput = tf.Tensor | number[] | number[][] | number[][][] | ArrayLike<number>;

/** Inputs and next-token targets, each [batch, steps]: tensors, nested arrays, or flat + `shape`. */
export interface TokenBatch {
  x: TensorInput;
  y: TensorInput;
  shape?: readonly number[];
  /** 1 where a target counts, 0 for padding (default: all count). */
  mask?: TensorInput;
}

/**
 * A tensor of `value` (a tensor is returned as is; nested arrays are read as they nest; a flat
 * typed array needs `shape`). Create it inside tf.tidy: a new tensor is not disposed here.
 */
export function toTensor(value: TensorInput, dtype: "int32" | "float32", shape?: readonly number[]): tf.Tensor {
  if (value instanceof tf.Tensor) return value;
  if (ArrayBuffer.isView(value)) {
    const flat = value as unknown as Int32Array | Float32Array;
    return tf.tensor(flat, shape ? [...shape] : [flat.length], dtype);
  }
  if (!Array.isArray(value) && typeof (value as ArrayLike<number>).length === "number") {
    const flat = Array.from(value as ArrayLike<number>);
    return tf.tensor(flat, shape ? [...shape] : [flat.length], dtype);
  }
  return shape ? tf.tensor(value as number[], [...shape], dtype) : tf.tensor(value as number[], undefined, dtype);
}

/** The token ids of a batch's field: a tensor, nested arrays, or flat data with the batch's `shape`. */
export function idsTensor(value: TensorInput, shape?: readonly number[]): tf.Tensor {
  return toTensor(value, "int32", shape);
}

/** Lengths (one per row) as a JS array, checked against the batch size. */
export function lengthsArray(where: string, lens: TensorInput | undefined, batch: number, steps: number): number[] | undefined {
  if (lens === undefined) return undefined;
  const arr =
    lens instanceof tf.Tensor
      ? Array.from(lens.dataSync())
      : Array.from((ArrayBuffer.isView(lens) ? lens : (lens as number[]).flat(2)) as ArrayLike<number>);
  if (arr.length !== batch)
    throw new ShapeError(`${where}: expected validLens of shape [batch=${batch}], got [${arr.length}]`, [arr.length]);
  for (const n of arr) {
    if (!(Number.isInteger(n) && n >= 1 && n <= steps))
      throw new RangeError(`${where}: a valid length must be an integer in 1..${steps}, got ${n}`);
  }
  return arr;
}
