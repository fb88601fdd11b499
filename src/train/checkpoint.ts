// Checkpoints: a model's weights, the optimiser's state and the step, in one folder in the
// TensorFlow.js format (model.json with a `weightsManifest`, and weights.bin), so tf.io and
// tfjs-node's file:// loader can read the weights. seqlab's own fields live in model.json's
// `userDefinedMetadata.seqlab`.
//
// Writes are atomic: the new checkpoint is written into a temporary sibling folder, each file and
// the folder fsynced; only then is an existing checkpoint moved aside (to .NAME.previous), the new
// folder renamed into place, and the old one deleted. A crash at any point leaves either the old
// or the new checkpoint complete; loadCheckpoint falls back to .NAME.previous in the one moment
// (between the two renames) when NAME itself is missing.
//
// Optimiser state: optimizer.getWeights()/setWeights() (Adam: the iteration count and every m and
// v; seqlab's AdamW: the same, from JavaScript), plus Adam's running β₁ᵗ, β₂ᵗ saved exactly
// (setWeights would recompute them with pow(), which can differ in the last bit), and the model's
// randomState() (its dropout counters), so a resumed run repeats an uninterrupted one exactly.
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";

export const CHECKPOINT_FORMAT = "seqlab-checkpoint";
const WEIGHTS_FILE = "weights.bin";
const MODEL_FILE = "model.json";
/** Optimiser fields that are not in getWeights() but hold state (Adam's β powers, Adamax's count). */
const OPTIMIZER_STATE_FIELDS = ["accBeta1", "accBeta2", "iteration"];

/** Parameters: a list, a name → variable map, or a model with namedVariables() or variables(). */
export type ParamsLike =
  readonly tf.Variable[] | Record<string, tf.Variable> | { namedVariables(): Record<string, tf.Variable> } | { variables(): tf.Variable[] };

/** Parameters by name: a model's namedVariables(), a map as given, a list as param_0, param_1, … */
export function namedParams(p: ParamsLike): Record<string, tf.Variable> {
  if (Array.isArray(p)) return Object.fromEntries(p.map((v, i) => [`param_${i}`, v]));
  const o = p as { namedVariables?: () => Record<string, tf.Variable>; variables?: () => tf.Variable[] };
  if (typeof o.namedVariables === "function") return o.namedVariables();
  if (typeof o.variables === "function") return namedParams(o.variables());
  return p as Record<string, tf.Variable>;
}

/** What a checkpoint needs of an optimiser: a tf.Optimizer has it, and so has seqlab's AdamW. */
export type CheckpointOptimizer = Pick<tf.Optimizer, "getClassName" | "getConfig" | "getWeights" | "setWeights">;

/** A model's counters that training's random draws depend on (src/nn/module.ts). */
interface RandomStateful {
  randomState(): Record<string, number>;
  setRandomState(state: Record<string, number>): void;
}

function randomStateful(p: ParamsLike): RandomStateful | undefined {
  const o = p as Partial<RandomStateful>;
  return typeof o.randomState === "function" && typeof o.setRandomState === "function" ? (o as RandomStateful) : undefined;
}

export interface CheckpointState {
  params: ParamsLike;
  optimizer?: CheckpointOptimizer;
  /** Steps done (default 0). */
  step?: number;
  /** Anything JSON can hold (a vocabulary, the options of the run, ...). */
  extra?: unknown;
}

export type CheckpointStage = "weights.bin" | "model.json" | "replace";

export interface SaveCheckpointOptions {
  /** Called before each stage of the write; a throw there acts as a crash (for tests). */
  onStage?: (stage: CheckpointStage) => void;
}

interface OptimizerMeta {
  className: string;
  config: tf.serialization.ConfigDict;
  /** getWeights() order: the manifest key and the optimiser's own name of each. */
  weights: { key: string; name: string }[];
  /** Extra state variables: field → manifest key. */
  fields: Record<string, string>;
}

export interface CheckpointMeta {
  version: 1;
  step: number;
  savedAt: string;
  params: string[];
  optimizer: OptimizerMeta | null;
  /** The model's randomState(), when it has one. */
  randomState?: Record<string, number>;
  extra: unknown;
}

function writeSynced(file: string, data: Uint8Array | string): void {
  const fd = fs.openSync(file, "w");
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // some file systems cannot fsync a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function siblings(dir: string): { abs: string; parent: string; previous: string; tmpPrefix: string } {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  const base = path.basename(abs);
  return { abs, parent, previous: path.join(parent, `.${base}.previous`), tmpPrefix: `.${base}.tmp-` };
}

/** A file-system error (it has an errno code) while saving, as one that names the checkpoint and
 * the folder written in and says whether the previous checkpoint survived; any other error (a
 * test's simulated crash) passes through as it is. */
function saveError(e: unknown, abs: string, writingIn: string, previousIntact: boolean): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code !== "string") return e;
  const why: Record<string, string> = {
    ENOSPC: "no space left on the device",
    EDQUOT: "the disk quota is used up",
    EFBIG: "a file would be larger than this process may write",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "the file system is read-only",
    ENOTDIR: "a part of the path is a file, not a folder",
    EEXIST: "a part of the path is a file, not a folder",
  };
  return new Error(
    `saveCheckpoint: could not save the checkpoint ${abs} (writing in ${writingIn}): ${why[code] ?? code} (${(e as Error).message}); ` +
      (previousIntact ? `the previous checkpoint in ${abs} is intact` : "no checkpoint was saved"),
    { cause: e },
  );
}

function isCheckpointDir(dir: string): boolean {
  try {
    const j = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), "utf8"));
    return j?.userDefinedMetadata?.seqlab !== undefined || j?.format === CHECKPOINT_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Write params, optimiser state, step and extra to `dir` atomically (see the top of this file).
 * An existing `dir` must be a checkpoint or empty: other folders are never replaced.
 */
export async function saveCheckpoint(
  dir: string,
  state: CheckpointState,
  opts: SaveCheckpointOptions = {},
): Promise<{ dir: string; step: number; bytes: number }> {
  const { abs, parent, previous, tmpPrefix } = siblings(dir);
  if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory())
    throw new Error(`saveCheckpoint: ${abs} is a file; a checkpoint is a folder (choose another name)`);
  const hadCheckpoint = fs.existsSync(abs) && isCheckpointDir(abs);
  if (fs.existsSync(abs) && !hadCheckpoint && fs.readdirSync(abs).length > 0) {
    throw new Error(`saveCheckpoint: ${abs} exists and is not a seqlab checkpoint; it is left alone (choose another folder)`);
  }
  const params = namedParams(state.params);
  const step = state.step ?? 0;
  const named: { name: string; tensor: tf.Tensor }[] = Object.entries(params).map(([name, tensor]) => ({ name, tensor }));
  const temporaries: tf.Tensor[] = [];
  let optimizer: OptimizerMeta | null = null;
  let data: ArrayBuffer;
  let specs: tf.io.WeightsManifestEntry[];
  try {
    if (state.optimizer) {
      const opt = state.optimizer;
      const weights = await opt.getWeights();
      for (const w of weights) if (!(w.tensor instanceof tf.Variable)) temporaries.push(w.tensor);
      optimizer = { className: opt.getClassName(), config: opt.getConfig(), weights: [], fields: {} };
      weights.forEach((w, i) => {
        const key = `optimizer/${i}`;
        optimizer!.weights.push({ key, name: w.name });
        named.push({ name: key, tensor: w.tensor });
      });
      for (const f of OPTIMIZER_STATE_FIELDS) {
        const v = (opt as unknown as Record<string, unknown>)[f];
        if (v instanceof tf.Tensor) {
          optimizer.fields[f] = `optimizer/${f}`;
          named.push({ name: `optimizer/${f}`, tensor: v });
        }
      }
    }
    const names = new Set<string>();
    for (const n of named) {
      if (names.has(n.name)) throw new Error(`saveCheckpoint: two weights are named "${n.name}"`);
      names.add(n.name);
    }
    ({ data, specs } = await tf.io.encodeWeights(named));
  } finally {
    tf.dispose(temporaries);
  }
  const meta: CheckpointMeta = {
    version: 1,
    step,
    savedAt: new Date().toISOString(),
    params: Object.keys(params),
    optimizer,
    extra: state.extra ?? null,
  };
  const randomState = randomStateful(state.params)?.randomState();
  if (randomState && Object.keys(randomState).length) meta.randomState = randomState;
  const modelJson = {
    format: CHECKPOINT_FORMAT,
    generatedBy: `seqlab (TensorFlow.js ${tf.version.tfjs})`,
    convertedBy: null,
    weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: specs }],
    userDefinedMetadata: { seqlab: meta },
  };

  const tmp = path.join(parent, `${tmpPrefix}${process.pid}-${Date.now().toString(36)}`);
  try {
    fs.mkdirSync(parent, { recursive: true });
    // Leftovers of earlier crashed writes.
    for (const f of fs.readdirSync(parent)) if (f.startsWith(tmpPrefix)) fs.rmSync(path.join(parent, f), { recursive: true, force: true });
    fs.mkdirSync(tmp);
  } catch (e) {
    throw saveError(e, abs, parent, hadCheckpoint);
  }
  let movedAside = false;
  try {
    opts.onStage?.("weights.bin");
    writeSynced(path.join(tmp, WEIGHTS_FILE), new Uint8Array(data));
    opts.onStage?.("model.json");
    writeSynced(path.join(tmp, MODEL_FILE), JSON.stringify(modelJson, null, 1));
    fsyncDir(tmp);
    opts.onStage?.("replace");
    if (fs.existsSync(abs)) {
      fs.rmSync(previous, { recursive: true, force: true });
      fs.renameSync(abs, previous);
      movedAside = true;
    }
    fs.renameSync(tmp, abs);
    fsyncDir(parent);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (movedAside && !fs.existsSync(abs)) fs.renameSync(previous, abs);
    throw saveError(e, abs, tmp, hadCheckpoint);
  }
  fs.rmSync(previous, { recursive: true, force: true });
  return { dir: abs, step, bytes: data.byteLength };
}

/** The folder that holds the latest complete checkpoint for `dir` (itself, or .NAME.previous). */
function checkpointFolder(dir: string): string {
  const { abs, previous } = siblings(dir);
  if (fs.existsSync(path.join(abs, MODEL_FILE))) return abs;
  if (!fs.existsSync(abs) && fs.existsSync(path.join(previous, MODEL_FILE))) return previous;
  throw new Error(`loadCheckpoint: no checkpoint in ${abs} (${MODEL_FILE} is missing)`);
}

/** model.json's seqlab metadata and every weight, decoded (the caller disposes the tensors). */
export function readCheckpoint(dir: string): { meta: CheckpointMeta; tensors: tf.NamedTensorMap; folder: string } {
  const folder = checkpointFolder(dir);
  const json = JSON.parse(fs.readFileSync(path.join(folder, MODEL_FILE), "utf8"));
  const meta = json?.userDefinedMetadata?.seqlab as CheckpointMeta | undefined;
  if (!meta || !Array.isArray(json.weightsManifest)) throw new Error(`loadCheckpoint: ${folder}/${MODEL_FILE} is not a seqlab checkpoint`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(fs.readFileSync(path.join(folder, p)));
  }
  const buf = Buffer.concat(parts);
  const tensors = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, specs);
  return { meta, tensors, folder };
}

export interface LoadCheckpointOptions<O extends CheckpointOptimizer = tf.Optimizer> {
  /** The variables to restore (assigned in place); names and shapes must match the checkpoint. */
  params: ParamsLike;
  /** The optimiser to restore into (same class); without it, one is built from the saved class and config. */
  optimizer?: O;
}

/** Restore params (in place) and the optimiser's state from a checkpoint; returns step and extra. */
export async function loadCheckpoint<O extends CheckpointOptimizer = tf.Optimizer>(
  dir: string,
  opts: LoadCheckpointOptions<O>,
): Promise<{ step: number; extra: unknown; optimizer: O | undefined }> {
  const { meta, tensors, folder } = readCheckpoint(dir);
  try {
    const params = namedParams(opts.params);
    const missing = Object.keys(params).filter((n) => !tensors[n]);
    const unexpected = meta.params.filter((n) => !(n in params));
    if (missing.length || unexpected.length) {
      throw new Error(
        `loadCheckpoint: the parameters do not match ${folder}:` +
          (missing.length ? ` missing from the checkpoint: ${missing.join(", ")};` : "") +
          (unexpected.length ? ` in the checkpoint but not in the model: ${unexpected.join(", ")}` : ""),
      );
    }
    for (const [name, v] of Object.entries(params)) {
      const t = tensors[name];
      if (t.shape.join() !== v.shape.join())
        throw new Error(
          `loadCheckpoint: ${name} has shape [${t.shape.join(", ")}] in the checkpoint, [${v.shape.join(", ")}] in the model`,
        );
    }
    for (const [name, v] of Object.entries(params)) v.assign(tensors[name]);

    let optimizer = opts.optimizer;
    if (meta.optimizer) {
      const om = meta.optimizer;
      if (!optimizer) {
        const entry = tf.serialization.SerializationMap.getMap().classNameMap[om.className];
        if (!entry) throw new Error(`loadCheckpoint: unknown optimizer class ${om.className}`);
        const [cls, fromConfig] = entry;
        optimizer = fromConfig(cls, om.config) as unknown as O;
      } else if (optimizer.getClassName() !== om.className) {
        throw new Error(
          `loadCheckpoint: the checkpoint holds ${om.className} state, but the optimizer given is ${optimizer.getClassName()}`,
        );
      }
      await restoreOptimizer(optimizer, om, tensors);
    }
    if (meta.randomState) randomStateful(opts.params)?.setRandomState(meta.randomState);
    return { step: meta.step, extra: meta.extra, optimizer };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

async function restoreOptimizer(opt: CheckpointOptimizer, om: OptimizerMeta, tensors: tf.NamedTensorMap): Promise<void> {
  const before = await opt.getWeights();
  tf.dispose(before.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
  const oldVariables = before.filter((w) => w.tensor instanceof tf.Variable).map((w) => w.tensor);
  await opt.setWeights(om.weights.map(({ key, name }) => ({ name, tensor: tensors[key] })));
  for (const [field, key] of Object.entries(om.fields)) {
    const v = (opt as unknown as Record<string, unknown>)[field];
    if (v instanceof tf.Variable) v.assign(tensors[key]);
  }
  // setWeights makes new variables; free the ones they replace.
  const after = await opt.getWeights();
  tf.dispose(after.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
  const kept = new Set(after.map((w) => w.tensor));
  tf.dispose(oldVariables.filter((t) => !kept.has(t)));
}
