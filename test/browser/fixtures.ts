// Synthetic notebooks for the export tests: every output kind, a vega-lite v5 chart with a PNG
// fallback (the shape src/plot's charts have) and a plotly chart.
import { writeFileSync } from "fs";
import * as path from "path";

/** An 8x4 blue PNG. */
export const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAECAIAAAA8r+mnAAAAEUlEQVR4nGOQSzmBFTFQTwIA+g0pQcs/KVcAAAAASUVORK5CYII=";

export const VEGALITE_SPEC = {
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  description: "h_t over t",
  width: 320,
  height: 160,
  data: { values: Array.from({ length: 12 }, (_, t) => ({ t, h: Number(Math.tanh(Math.sin(t / 2)).toFixed(3)) })) },
  mark: { type: "line", point: true },
  encoding: { x: { field: "t", type: "quantitative" }, y: { field: "h", type: "quantitative", title: "h_t" } },
};

export const PLOTLY_FIGURE = {
  data: [{ type: "bar", x: ["i", "f", "c̃", "o"], y: [0.2, 0.9, -0.4, 0.6], name: "gates" }],
  layout: { title: { text: "LSTM gates" }, width: 420, height: 260, margin: { t: 40, l: 40, r: 10, b: 30 } },
};

let ids = 0;
export const markdown = (source: string) => ({ id: `cell-${++ids}`, cell_type: "markdown", metadata: {}, source });
export const code = (source: string, outputs: any[] = [], execution_count: number | null = outputs.length ? 1 : null) => ({
  id: `cell-${++ids}`,
  cell_type: "code",
  metadata: {},
  source,
  execution_count,
  outputs,
});
export const notebook = (cells: any[]) => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {
    kernelspec: { name: "seqlab", display_name: "TypeScript (seqlab)", language: "typescript" },
    language_info: { name: "typescript" },
  },
  cells,
});

export const vegaLiteOutput = () => ({
  output_type: "display_data",
  data: { "application/vnd.vegalite.v5+json": VEGALITE_SPEC, "image/png": PNG, "text/plain": ["Chart(line, 12 points)"] },
  metadata: { "image/png": { width: 320, height: 160 } },
});

export const plotlyOutput = () => ({
  output_type: "display_data",
  data: { "application/vnd.plotly.v1+json": PLOTLY_FIGURE, "text/plain": ["Figure(bar)"] },
  metadata: {},
});

/** A notebook with math, both chart kinds, streams, an error and images. */
export function chartNotebook() {
  return notebook([
    markdown(
      "# 차트와 수식 (Charts and Math)\n\nThe state $h_t$ follows $$h_t = \\tanh(W_{hh} h_{t-1} + W_{xh} x_t)$$ and $a_1 * b_2 * c$ is not emphasis.",
    ),
    markdown("## Vega-Lite\n\nA line chart, with a PNG for front ends that cannot draw it."),
    code("lineChart(xs)", [vegaLiteOutput()], 1),
    markdown("## Plotly"),
    code("gates", [{ ...plotlyOutput(), output_type: "execute_result", execution_count: 2 }], 2),
    markdown("## Text\n\n$$\n\\sigma(z) = \\frac{1}{1 + e^{-z}}\n$$"),
    code(
      "console.log('<script>alert(1)</script>')",
      [
        { output_type: "stream", name: "stdout", text: ["<script>alert('stdout')</script>\n"] },
        { output_type: "stream", name: "stderr", text: ["\u001b[33mwarning\u001b[0m: slow\n"] },
        {
          output_type: "execute_result",
          execution_count: 3,
          data: { "text/plain": ["'<script>alert(\"plain\")</script>'"] },
          metadata: {},
        },
      ],
      3,
    ),
    code(
      "display(picture)",
      [
        {
          output_type: "display_data",
          data: { "image/png": PNG, "text/plain": ["Picture"] },
          metadata: { "image/png": { width: 64, height: 32 } },
        },
      ],
      4,
    ),
  ]);
}

export function writeNotebook(dir: string, name: string, nb: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}
