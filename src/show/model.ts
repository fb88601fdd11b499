// A model summary table: layers, output shapes, parameter counts (as Keras' summary()), for a
// tf.LayersModel or anything shaped like one.
import { HtmlView, int, table, textTable } from "./html";

/** What showModel reads from a layer (tf.layers.Layer has it). */
export interface LayerLike {
  name: string;
  getClassName(): string;
  readonly outputShape?: unknown;
  countParams(): number;
  trainable?: boolean;
  trainableWeights?: ReadonlyArray<{ shape: readonly (number | null)[] }>;
  nonTrainableWeights?: ReadonlyArray<{ shape: readonly (number | null)[] }>;
}

/** What showModel reads from a model (tf.LayersModel / tf.Sequential have it). */
export interface ModelLike {
  name?: string;
  layers: ReadonlyArray<LayerLike>;
}

function shapeText(s: unknown): string {
  if (!Array.isArray(s)) return "?";
  if (s.length && Array.isArray(s[0])) return s.map(shapeText).join(", ");
  return `[${s.map((d) => (d === null ? "null" : String(d))).join(", ")}]`;
}

function weightCount(ws: LayerLike["trainableWeights"]): number {
  return (ws ?? []).reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 0), 1), 0);
}

/** Layers with their output shapes and parameter counts, and the totals (trainable or not). */
export function showModel(model: ModelLike): HtmlView {
  if (!model || !Array.isArray(model.layers)) throw new TypeError("showModel: expected a tf.LayersModel (with .layers)");
  let total = 0, trainable = 0;
  const rows: (string | number)[][] = model.layers.map((l) => {
    let out = "?", params = 0, tr = 0;
    try {
      out = shapeText(l.outputShape); // throws while the layer has never been called
    } catch {
      /* not built */
    }
    try {
      params = l.countParams();
    } catch {
      params = 0;
    }
    tr = l.trainableWeights ? weightCount(l.trainableWeights) : l.trainable === false ? 0 : params;
    total += params;
    trainable += tr;
    return [`${l.name} (${l.getClassName()})`, out, int(params)];
  });
  const header = ["층 (layer)", "출력 모양 (output shape)", "매개변수 (params)"];
  const totals = `${int(total)} parameters (trainable ${int(trainable)}, non-trainable ${int(total - trainable)})`;
  const title = `${model.name ?? "model"}: ${model.layers.length} layers, ${totals}`;
  const html = table(header, rows, {
    right: [2],
    caption: `모델 (model) ${model.name ?? ""}`,
    footer: [
      ["전체 (total)", "", int(total)],
      ["학습 가능 (trainable)", "", int(trainable)],
      ["학습 불가 (non-trainable)", "", int(total - trainable)],
    ],
  });
  const text = `${title}\n${textTable(["layer", "output shape", "params"], rows, [2])}`;
  return new HtmlView(html, text);
}
