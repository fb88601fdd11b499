// A progress file for long runs: a notebook run by `seqlab run` shows nothing until it ends, so a
// full-mode run of many minutes is watched from outside through one line per epoch in a file.
import { appendFileSync } from "fs";
import type { EpochRecord } from "./loop";

/**
 * An `onEpoch` callback for `train` that appends one line per epoch to `file` (default: the file
 * named by SEQLAB_EPOCH_LOG; with neither, it does nothing): the time, `label`, the epoch (from 1),
 * the training perplexity and, when the epoch was validated, the validation perplexity.
 */
export function epochLogger(label: string, file: string | undefined = process.env.SEQLAB_EPOCH_LOG): (e: EpochRecord) => void {
  return (e) => {
    if (!file) return;
    const val = e.valLoss === undefined ? "" : `, validation PPL ${Math.exp(e.valLoss).toFixed(3)}`;
    appendFileSync(file, `${new Date().toISOString()} ${label} epoch ${e.epoch + 1}: train PPL ${e.perplexity.toFixed(3)}${val}\n`);
  };
}
