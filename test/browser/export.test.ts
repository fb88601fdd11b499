// HTML reports in a real browser (headless Chromium, every network request blocked and counted):
// the course's notebooks, executed with `seqlab run --html`, and a synthetic chart notebook.
// Each page must load nothing, log no error, draw every chart and render its math with KaTeX's
// inlined fonts. A screenshot of each goes to test-artifacts/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import { chromium, type Browser } from "playwright-core";
import { executedCourse } from "../support/course";
import { CLI, ROOT } from "../support/tools";
import { chartNotebook, writeNotebook } from "./fixtures";
import { hangulNotInEmbeddedFont, latinOnlyFontConfig } from "./fonts";

// The page's globals, for the functions evaluated inside it (this project has no DOM types).
declare const document: any;

const ARTIFACTS = path.join(ROOT, "test-artifacts");
const course = readdirSync(path.join(ROOT, "notebooks"))
  .filter((f) => f.endsWith(".ipynb"))
  .sort();
let work = "";
let run: { status: number | null; stderr: string };
let browser: Browser;

before(async () => {
  // `seqlab run --html` over the course, once per test run (shared with the lab suite)
  const executed = await executedCourse();
  work = executed.dir;
  run = executed;
  const charts = writeNotebook(work, "synthetic-charts.ipynb", chartNotebook());
  const exported = spawnSync(process.execPath, [CLI, "export", charts], { encoding: "utf8" });
  assert.equal(exported.status, 0, exported.stderr);
  browser = await chromium.launch({
    executablePath: process.env.SEQLAB_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    // No Korean system font (on machines that have one, hide it): Hangul must come from the report.
    env: { ...process.env, FONTCONFIG_FILE: latinOnlyFontConfig(work) },
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

test("seqlab run --html executes the course's notebooks and writes a report for each", () => {
  assert.ok(course.length > 0, "notebooks/ has notebooks");
  assert.equal(run.status, 0, `seqlab run failed:\n${run.stderr}`);
  for (const f of course) assert.ok(existsSync(path.join(work, f.replace(/\.ipynb$/, ".html"))), `report for ${f}`);
});

test("under seqlab run every self-check of the teacher's edition passes", () => {
  const text = (v: unknown) => (Array.isArray(v) ? v.join("") : String(v ?? ""));
  for (const f of course) {
    const nb = JSON.parse(readFileSync(path.join(work, f), "utf8"));
    nb.cells.forEach((c: any, i: number) => {
      if (c.metadata?.nbgrader?.grade !== true) return;
      const shown = (c.outputs ?? []).map((o: any) => text(o.data?.["text/plain"] ?? o.text)).join("\n");
      assert.match(shown, /✓ Exercise \d+\.\d+: correct/, `${f}, cell ${i + 1}: ${JSON.stringify(shown)}`);
    });
  }
});

/** What the page should show, read from the notebook it came from. */
function expectations(ipynb: string) {
  const nb = JSON.parse(readFileSync(ipynb, "utf8"));
  const text = (s: unknown) => (Array.isArray(s) ? s.join("") : String(s ?? ""));
  // The cells' outputs, and those that Output widgets hold in the saved widget state (the report
  // draws each widget in its last state, charts included: notebook 04's knob).
  const widgets = Object.values<any>(nb.metadata?.widgets?.["application/vnd.jupyter.widget-state+json"]?.state ?? {});
  const charts = [
    ...nb.cells.flatMap((c: any) => c.outputs ?? []),
    ...widgets.filter((w) => w.model_name === "OutputModel").flatMap((w) => w.state?.outputs ?? []),
  ].filter((o: any) => Object.keys(o.data ?? {}).some((m) => /^application\/vnd\.(vegalite|vega|plotly)\.v\d+\+json$/.test(m))).length;
  const math = nb.cells.some((c: any) => c.cell_type === "markdown" && /\$[^$\s][^$]*\$/.test(text(c.source)));
  return { charts, math };
}

for (const name of [...course.map((f) => f.replace(/\.ipynb$/, "")), "synthetic-charts"]) {
  test(`report ${name}: offline, no console errors, charts drawn, math rendered`, async () => {
    const html = path.join(work, `${name}.html`);
    assert.ok(existsSync(html), `${html} was written`);
    const want = expectations(path.join(work, `${name}.ipynb`));
    const url = pathToFileURL(html).href;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    context.on("request", (r) => {
      const u = r.url();
      if (u !== url && !u.startsWith("data:") && !u.startsWith("blob:")) requests.push(u);
    });
    await context.route("**/*", (route) => (route.request().url() === url ? route.continue() : route.abort()));
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    try {
      await page.goto(url, { waitUntil: "load" });
      await page.waitForFunction(() => [...document.querySelectorAll(".chart")].every((el: any) => el.dataset.state), null, {
        timeout: 60_000,
      });
      await page.evaluate(() => document.fonts.ready);

      const charts = await page.evaluate(() =>
        [...document.querySelectorAll(".chart")].map((el: any) => {
          // A 3-D plotly figure draws into a WebGL canvas; everything else into SVG.
          const canvas = el.querySelector(".chart-target canvas");
          const drawing = canvas ?? el.querySelector(".chart-target svg");
          const box = drawing?.getBoundingClientRect();
          const svgMarks = el.querySelectorAll(".chart-target svg :is(path, rect, circle, line, text)").length;
          return {
            kind: el.dataset.chart,
            state: el.dataset.state,
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: svgMarks + (canvas && canvas.width > 0 && canvas.height > 0 ? 10 : 0),
            fallbackShown: el.querySelector(".chart-fallback")?.offsetParent != null,
          };
        }),
      );
      assert.equal(charts.length, want.charts, "one chart per chart output");
      for (const c of charts) {
        assert.equal(c.state, "drawn", `${c.kind} chart drawn`);
        assert.ok(c.width > 50 && c.height > 50, `${c.kind} chart has a size (${c.width}x${c.height})`);
        assert.ok(c.marks > 5, `${c.kind} chart has marks (${c.marks})`);
        assert.equal(c.fallbackShown, false, `${c.kind} fallback hidden once drawn`);
      }

      const math = await page.evaluate(() => ({
        katex: document.querySelectorAll(".katex").length,
        errors: [...document.querySelectorAll(".katex-error")].map((e: any) => e.title),
        fonts: [...document.fonts].filter((f: any) => f.family.includes("KaTeX")).map((f: any) => `${f.family}:${f.status}`),
      }));
      if (want.math) {
        assert.ok(math.katex > 0, "math rendered by KaTeX");
        assert.ok(
          math.fonts.some((f) => f.endsWith(":loaded")),
          `a KaTeX font loaded offline: ${math.fonts.join(", ")}`,
        );
      }
      assert.deepEqual(math.errors, [], "no KaTeX parse errors");
      assert.deepEqual(
        math.fonts.filter((f) => f.endsWith(":error")),
        [],
        "no font failed to load",
      );

      const hangul = await page.evaluate(() => /[\uac00-\ud7a3]/.test(document.body.innerText));
      if (hangul) {
        await page.evaluate(() => document.fonts.load('16px "seqlab-ko"', "한"));
        const faces = await page.evaluate(() =>
          [...document.fonts].filter((f: any) => f.family.replace(/"/g, "") === "seqlab-ko").map((f: any) => f.status),
        );
        assert.ok(faces.includes("loaded"), `the embedded Korean font loaded (${faces.join(", ") || "none embedded"})`);
        const boxes = await hangulNotInEmbeddedFont(page);
        assert.deepEqual(boxes, [], "every element showing Hangul draws it with the embedded font (no reader's font, no boxes)");
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `export-${name}.png`), fullPage: true });
      assert.deepEqual(requests, [], "no network requests");
      assert.deepEqual(errors, [], "no console errors");
    } finally {
      await context.close();
    }
  });
}

test("without scripts, each chart shows its static fallback (the PNG, or the text)", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  await context.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(path.join(work, "synthetic-charts.html")).href, { waitUntil: "load" });
    const fallbacks = await page.evaluate(() =>
      [...document.querySelectorAll(".chart")].map((el: any) => {
        const img = el.querySelector(".chart-fallback img");
        return {
          kind: el.dataset.chart,
          visible: el.querySelector(".chart-fallback").offsetParent != null,
          png: img ? img.naturalWidth > 0 && img.width === 320 : false,
          text: el.querySelector(".chart-fallback").textContent,
        };
      }),
    );
    assert.deepEqual(fallbacks, [
      { kind: "vega-lite", visible: true, png: true, text: "" },
      { kind: "plotly", visible: true, png: false, text: "Figure(bar)" },
    ]);
  } finally {
    await context.close();
  }
});
