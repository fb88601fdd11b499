// Widgets without a kernel: a notebook of widgets executed headlessly by `seqlab run` and by
// Debian's nbclient keeps every widget's last state in its metadata and a text (or PNG) fallback
// in every output; from that state, nbconvert's HTML draws every widget with ipywidgets 8's
// @jupyter-widgets/html-manager (its own prebuilt embed script, from npm), and seqlab's report
// draws them as static HTML that says interaction needs a running kernel.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import type { Browser, Page } from "playwright-core";
import { CLI, kernelspecEnv, python, ROOT, tempDir } from "../support/tools";
import { writeWidgetNotebook } from "./fixtures";
import { ci, launch, widgetsMissing } from "./support";

declare const document: any;

const missing = widgetsMissing();
const skip = !ci && missing ? missing : false;
const VIEW = "application/vnd.jupyter.widget-view+json";
const STATE = "application/vnd.jupyter.widget-state+json";

const work = tempDir("seqlab-widgets-static-");
const executed: Record<string, string> = {};
const nbconverted: Record<string, string> = {};
let browser: Browser | undefined;

function must(r: ReturnType<typeof spawnSync>, what: string) {
  assert.equal(r.status, 0, `${what} failed:\n${r.stderr}`);
}

before(async () => {
  if (skip) return;
  assert.equal(missing, undefined, missing);
  const file = writeWidgetNotebook(work);
  const env = { ...kernelspecEnv(), SEQLAB_QUICK: "1" };
  must(
    spawnSync(process.execPath, [CLI, "run", file, "--out", path.join(work, "run"), "--html", path.join(work, "run")], {
      env,
      encoding: "utf8",
    }),
    "seqlab run",
  );
  executed["seqlab run"] = path.join(work, "run", "widgets.ipynb");
  must(
    spawnSync(python()!, ["-m", "nbconvert", "--to", "notebook", "--execute", "--output-dir", path.join(work, "nbclient"), file], {
      env,
      encoding: "utf8",
    }),
    "nbclient",
  );
  executed.nbclient = path.join(work, "nbclient", "widgets.ipynb");
  const embed = pathToFileURL(require.resolve("@jupyter-widgets/html-manager/dist/embed-amd.js", { paths: [ROOT] })).href;
  for (const [runner, nb] of Object.entries(executed)) {
    // Not beside the notebook: seqlab run's own report is there.
    const out = path.join(work, `nbconvert-${runner.replace(/\W/g, "")}`);
    must(
      spawnSync(python()!, ["-m", "nbconvert", "--to", "html", `--HTMLExporter.widget_renderer_url=${embed}`, "--output-dir", out, nb], {
        env,
        encoding: "utf8",
      }),
      `nbconvert --to html ${nb}`,
    );
    nbconverted[runner] = path.join(out, "widgets.html");
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

const read = (f: string) => JSON.parse(readFileSync(f, "utf8"));
const views = (nb: any): any[] => nb.cells.flatMap((c: any) => (c.outputs ?? []).filter((o: any) => o.data?.[VIEW]));

for (const runner of ["seqlab run", "nbclient"]) {
  describe(`executed by ${runner}`, () => {
    test("every widget's last state is saved in the metadata, and every output has a fallback", { skip }, () => {
      const nb = read(executed[runner]);
      const saved = nb.metadata.widgets?.[STATE];
      assert.ok(saved, "metadata.widgets holds the widget state");
      assert.deepEqual([saved.version_major, saved.version_minor], [2, 0]);
      const shown = views(nb);
      assert.equal(shown.length, 3, "three cells show widgets");
      for (const o of shown)
        assert.ok(saved.state[o.data[VIEW].model_id], `the shown widget ${o.data[VIEW].model_id} is in the saved state`);
      // Every reference inside a state resolves (children, links).
      for (const [id, m] of Object.entries<any>(saved.state)) {
        for (const ref of JSON.stringify(m.state).match(/IPY_MODEL_[0-9a-f]+/g) ?? [])
          assert.ok(saved.state[ref.slice(10)], `${id} refers to ${ref}, which is saved`);
      }
      const byName = (n: string) => Object.values<any>(saved.state).filter((m) => m.model_name === n);
      assert.deepEqual(
        byName("ImageModel")[0].buffers.map((b: any) => [b.path, b.encoding]),
        [[["value"], "base64"]],
      );
      const outputs = byName("OutputModel").map((m) => JSON.stringify(m.state.outputs));
      assert.ok(
        outputs.some((o) => /T=1\.0: [a-z ]{40}/.test(o)),
        "the temperature's first sample is in its Output widget",
      );
      assert.ok(
        outputs.some((o) => o.includes("gates at step 0")),
        "the heatmap's first step is in its Output widget",
      );
      // Without a widget front end: text, and the PNG of the image.
      for (const o of shown) assert.ok(String(o.data["text/plain"]).length > 0);
      assert.match([].concat(shown[0].data["text/plain"]).join(""), /T=1\.0: [a-z ]{40}/);
      assert.match(String(shown[2].data["image/png"]), /^iVBORw0KGgo/);
    });

    test("nbconvert's HTML draws every saved widget with the ipywidgets 8 HTML manager", { skip }, async () => {
      const page: Page = await browser!.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(pathToFileURL(nbconverted[runner]).href);
      // Each view's script tag gets a drawn widget beside it.
      await page.waitForFunction(
        () => {
          const areas = Array.from(document.querySelectorAll(".widget-subarea"));
          return areas.length === 3 && areas.every((a: any) => a.querySelector(".jupyter-widgets"));
        },
        null,
        { timeout: 60_000 },
      );
      const seen = await page.evaluate(() => ({
        sliders: Array.from(document.querySelectorAll(".widget-slider .widget-readout")).map((e: any) => e.textContent.trim()),
        play: document.querySelectorAll(".widget-play").length,
        outputs: Array.from(document.querySelectorAll(".widget-output")).map((e: any) => e.textContent),
        tabs: Array.from(document.querySelectorAll(".lm-TabBar-tabLabel")).map((e: any) => e.textContent),
        dropdown: document.querySelector(".widget-dropdown select")?.value,
        toggle: document.querySelector(".widget-toggle-button")?.classList.contains("mod-active"),
        checkbox: document.querySelector(".widget-checkbox input")?.checked,
        text: document.querySelector(".widget-text input")?.value,
        progress: document.querySelector(".widget-hprogress .progress-bar")?.style.width ?? "",
        button: document.querySelector(".widget-button:not(.widget-toggle-button)")?.textContent.trim(),
        image: document.querySelector("img.widget-image")?.getAttribute("src") ?? "",
      }));
      assert.deepEqual(seen.sliders, ["1.0", "0"]);
      assert.equal(seen.play, 1);
      assert.ok(
        seen.outputs.some((o: string) => /T=1\.0: [a-z ]{40}/.test(o)),
        `the temperature output: ${seen.outputs}`,
      );
      assert.ok(
        seen.outputs.some((o: string) => o.includes("gates at step 0")),
        "the heatmap output",
      );
      assert.deepEqual(seen.tabs, ["controls", "progress", "image"]);
      assert.deepEqual([seen.dropdown, seen.toggle, seen.checkbox, seen.text], ["top-k", true, true, "The Time Traveller"]);
      assert.equal(seen.progress, "30%");
      assert.equal(seen.button, "sample again");
      assert.match(seen.image, /^blob:|^data:image\/png/);
      assert.deepEqual(errors, []);
      await page.close();
    });
  });
}

test("the seqlab report draws every widget from the saved state and says interaction needs a kernel", { skip }, async () => {
  const page: Page = await browser!.newPage();
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  const url = pathToFileURL(path.join(work, "run", "widgets.html")).href;
  await page.goto(url);
  const seen = await page.evaluate(() => ({
    widgets: document.querySelectorAll(".widget-static").length,
    notes: Array.from(document.querySelectorAll(".widget-static-note")).map((e: any) => e.textContent),
    ranges: Array.from(document.querySelectorAll(".widget-static input[type=range]")).map((e: any) => [e.value, e.disabled]),
    readouts: Array.from(document.querySelectorAll(".widget-static input[type=range] + .w-readout")).map((e: any) => e.textContent),
    output: Array.from(document.querySelectorAll(".widget-static .w-output")).map((e: any) => e.textContent),
    dropdown: document.querySelector(".widget-static select")?.value,
    tabs: Array.from(document.querySelectorAll(".widget-static .w-tab-title")).map((e: any) => e.textContent),
    image: document.querySelector(".widget-static img.w-image")?.naturalWidth,
  }));
  assert.equal(seen.widgets, 3);
  assert.deepEqual(seen.notes, Array(3).fill("Widget in its last saved state; interaction needs a running kernel."));
  assert.deepEqual(seen.ranges, [
    ["1", true],
    ["0", true],
  ]);
  assert.deepEqual(seen.readouts, ["1.0", "0"]);
  assert.ok(seen.output.some((o: string) => /T=1\.0: [a-z ]{40}/.test(o)));
  assert.ok(seen.output.some((o: string) => o.includes("gates at step 0")));
  assert.equal(seen.dropdown, "top-k");
  assert.deepEqual(seen.tabs, ["controls", "progress", "image"]);
  assert.ok((seen.image ?? 0) > 0, "the image decoded");
  assert.deepEqual(
    requests.filter((r) => r !== url),
    [],
    "the report loads nothing",
  );
  await page.close();
});
