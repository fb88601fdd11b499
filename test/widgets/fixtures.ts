// A notebook of widgets for the widget tests: the knobs the course will get (a sampling
// temperature, a time-step scrubber over a gate heatmap) and one of every control. The sampler is
// a fixed bigram table sampled with a seeded generator, so the text is the same for the same
// temperature on every machine, and different for different temperatures.
import { writeFileSync } from "fs";
import * as path from "path";

export const SETUP = `import { interact, interactive, slider, play, jslink, dropdown, toggle, checkbox, button, text, progress, output, hbox, vbox, tab, image, display, mulberry32, svgToPng } from "seqlab";

// A tiny character model: bigram scores over a few letters, sampled with softmax(scores / temperature).
const letters = "etaoin srh";
function sample(temperature: number, n = 40, seed = 7): string {
  const rand = mulberry32(seed);
  let prev = 0, out = "";
  for (let i = 0; i < n; i++) {
    const scores = [...letters].map((_, j) => Math.cos(prev * 1.7 + j * 2.3) * 3);
    const w = scores.map((s) => Math.exp(s / temperature));
    let r = rand() * w.reduce((a, b) => a + b, 0), j = 0;
    while ((r -= w[j]) > 0 && j < w.length - 1) j++;
    out += letters[j];
    prev = j;
  }
  return out;
}

// A gate heatmap over time steps as an HTML table: the column of step t is marked.
function gates(t: number, steps = 10, units = 4): string {
  let rows = "";
  for (let u = 0; u < units; u++) {
    let cells = "";
    for (let s = 0; s < steps; s++) {
      const v = 0.5 + 0.5 * Math.sin(u * 1.3 + s * 0.7);
      const light = Math.round(95 - 60 * v);
      cells += \`<td style="background-color: hsl(210, 70%, \${light}%); width: 18px; height: 14px">\${s === t ? "◆" : ""}</td>\`;
    }
    rows += \`<tr><th>u\${u}</th>\${cells}</tr>\`;
  }
  return \`<table><caption>gates at step \${t}</caption>\${rows}</table>\`;
}`;

/** Course knob, notebook 03/11: the sampling temperature drives the sampled text. */
export const TEMPERATURE = `const knob = await interact(({ temperature }) => {
  console.log(\`T=\${temperature.toFixed(1)}: \${sample(temperature)}\`);
}, { temperature: [0.1, 2, 0.1] });
knob`;

/** Course knob, notebook 04: a play button and a slider, linked in the front end, scrub the time step. */
export const SCRUBBER = `const player = play({ max: 9, interval: 150, description: "play" });
const scrub = interactive(({ step }) => display({ "text/html": gates(step), "text/plain": \`gates at step \${step}\` }), { step: slider({ max: 9, description: "step" }) });
jslink([player, "value"], [scrub.controls.step, "value"]);
await scrub.done;
vbox([player, scrub])`;

/** One of every other control, in tabs. */
export const GALLERY = `const png = svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="24" height="12"><rect width="24" height="12" fill="#d33"/></svg>').png;
const controls = vbox([
  dropdown({ options: ["greedy", "top-k", "sample"], value: "top-k", description: "decoding" }),
  toggle({ description: "show gates", value: true }),
  checkbox({ description: "causal mask", value: true }),
  text({ value: "The Time Traveller", description: "prompt" }),
]);
const bar = progress({ value: 30, max: 100, description: "training" });
const again = button({ description: "sample again", buttonStyle: "primary" });
tab([controls, vbox([bar, again]), image({ value: png, width: "32px" })], { titles: ["controls", "progress", "image"] })`;

export const WIDGET_CELLS = [SETUP, TEMPERATURE, SCRUBBER, GALLERY];

/** The notebook above, unexecuted. */
export function widgetNotebook(): object {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "seqlab", display_name: "TypeScript (seqlab)", language: "typescript" } },
    cells: [
      { cell_type: "markdown", id: "title", metadata: {}, source: "# Widgets" },
      ...WIDGET_CELLS.map((source, i) => ({
        cell_type: "code",
        id: `cell-${i}`,
        metadata: {},
        source,
        outputs: [],
        execution_count: null,
      })),
    ],
  };
}

export function writeWidgetNotebook(dir: string, name = "widgets.ipynb"): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(widgetNotebook(), null, 1));
  return file;
}
