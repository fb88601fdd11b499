// seqlab: what a notebook imports.
// First: TensorFlow.js is loaded on first use, not by this import (see lazy.ts).
import "./lazy";
export { display, clearOutput, page, toBundle, newDisplayId, DISPLAY, type DisplayOptions } from "./display/display";
export { input } from "./display/input";
export { Comm, openComm, registerCommTarget } from "./display/comm";
export * from "./widgets";
export type { MimeBundle } from "./display/bridge";
export {
  lossChart,
  lineChart,
  scatter,
  bar,
  histogram,
  heatmap,
  embeddingPlot,
  lossChartSpec,
  lineChartSpec,
  scatterSpec,
  barSpec,
  histogramSpec,
  heatmapSpec,
  embeddingPlotSpec,
  type LossHistory,
  type LossPoint,
  type LossChartOptions,
  type LineChartOptions,
  type ScatterData,
  type ScatterOptions,
  type BarData,
  type BarOptions,
  type HistogramOptions,
  type HeatmapOptions,
  type EmbeddingPlotOptions,
} from "./plot/charts";
export { Chart, renderChart, VEGALITE_MIME, VEGALITE_SCHEMA, type ChartOptions, type ChartPromise, type VegaLiteSpec } from "./plot/chart";
export {
  plotly,
  embedding3d,
  PlotlyFigure,
  resetPlotlyLibrary,
  PLOTLY_MIME,
  type PlotlyFigureSpec,
  type PlotlyOptions,
  type Embedding3dOptions,
} from "./plot/plotly";
export {
  rnnDiagram,
  rnnLoopDiagram,
  lstmDiagram,
  RNN_SHAPES,
  type RnnShape,
  type RnnDiagramOptions,
  type RnnLoopDiagramOptions,
  type LstmDiagramOptions,
  type LstmValues,
} from "./plot/diagrams";
export { encodePng } from "./plot/png";
export { ema as smooth } from "./plot/data";
export { Picture, svgToPng } from "./plot/render";
export { pca, type PcaResult } from "./plot/pca";
export { showTensor, installTensorDisplay, type TensorLike } from "./show/tensor";
export { showModel, type ModelLike, type LayerLike } from "./show/model";
export { showVocab, type VocabLike } from "./show/vocab";
export { liveLoss, LiveLoss, type LiveLossOptions, type LiveUpdate } from "./show/live";
export { HtmlView } from "./show/html";
export { showTable, type ShowTableOptions } from "./show/table";
export { showShapes, shapeText, type Shaped } from "./show/shapes";
export * as tf from "@tensorflow/tfjs";
// The library, layer by layer (each folder's index.ts says what it holds).
export * from "./data";
export * from "./text";
export * from "./backend";
export * from "./nn";
export * from "./models";
export * from "./objectives";
export * from "./train";
export * from "./exercises";
