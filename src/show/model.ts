// A model summary table: layers, output shapes, parameter counts (as Keras' summary()), for a
// tf.LayersModel or anything shaped like one.
import { HtmlView, int, table, textTable } from "./html";
import { tr } from "../lang";

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
  let total = 0,
    trainable = 0;
  const rows: (string | number)[][] = model.layers.map((l) => {
    let out = "?",
      params = 0,
      tr = 0;
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
  const header = tr("layer|output shape|params", "층|출력 모양|매개변수").split("|");
  const totals = tr(
    `${int(total)} parameters (trainable ${int(trainable)}, non-trainable ${int(total - trainable)})`,
    `매개변수 ${int(total)}개 (학습 가능 ${int(trainable)}, 학습 불가 ${int(total - trainable)})`,
  );
  const title = `${model.name ?? tr("model", "모델")}: ${tr(`${model.layers.length} layers`, `층 ${model.layers.length}개`)}, ${totals}`;
  const html = table(header, rows, {
    right: [2],
    caption: `${tr("model", "모델")}${model.name ? ` ${model.name}` : ""}`,
    footer: [
      [tr("total", "전체"), "", int(total)],
      [tr("trainable", "학습 가능"), "", int(trainable)],
      [tr("non-trainable", "학습 불가"), "", int(total - trainable)],
    ],
  });
  const text = `${title}\n${textTable(header, rows, [2])}`;
  return new HtmlView(html, text);
}
