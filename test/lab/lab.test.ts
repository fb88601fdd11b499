// The course's outputs in JupyterLab 4's own renderers (@jupyterlab/rendermime, outputarea and
// vega5-extension 4.6 from npm, bundled into a page by test/lab/bundle.ts), in headless Chromium.
// Every output of every notebook executed in quick mode is rendered as JupyterLab renders a
// notebook opened from disk, trusted and untrusted, and:
// - each vega-lite chart is drawn by the vega5 renderer, with data marks in its scenegraph and ink
//   on its canvas (trusted or not: JupyterLab marks that renderer safe);
// - each plotly figure is drawn by its own script (trusted) or shows its one-line fallback telling
//   the reader to trust the notebook (untrusted: JupyterLab's sanitizer removes the script);
// - nothing is logged as an error and nothing is fetched from the network;
// - Korean text is drawn with a Korean font, not as missing-glyph boxes (below);
// - the recorded output messages of each notebook, replayed into OutputAreas at their recorded
//   speed through JupyterLab's own message handling, end in the state of the saved notebook.
//
// Korean text in JupyterLab is drawn with the front end's fonts: its CSS asks for system-ui,
// sans-serif (content) or menlo, consolas, DejaVu Sans Mono, monospace (code), and the browser
// falls back, character by character, to a system font that has Hangul; vega charts ask for
// seqlab's font list ("DejaVu Sans, Noto Sans KR, Noto Sans Korean, sans-serif"). So what "drawn
// with a Korean font" means here is what a Korean user's machine gives: Chromium sees no system
// fonts at all, only a private fontconfig with DejaVu (Latin) and Noto Sans KR, both from npm
// packages, standing in for the fonts such a machine has. For each element with Hangul in its
// own text, Chromium is asked (DevTools: CSS.getPlatformFontsForNode) which fonts drew it: one
// must be Noto Sans KR, with at least one glyph per Hangul syllable. vega draws on a canvas,
// which has no text nodes to ask about: there the chart's font list must draw two Korean words
// differently (boxes would be identical) and exactly as Noto Sans KR draws them. A last test runs
// both checks in a browser with only the Latin font, where they must fail.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { chromium, type Browser, type Page } from "playwright-core";
import { packageDir } from "../../src/plot/fonts";
import { COURSE, executedCourse, type ExecutedCourse } from "../support/course";
import { ROOT, tempDir } from "../support/tools";
import { buildLabPage, type LabPage } from "./bundle";

// The page's globals, for the functions evaluated inside it (this project has no DOM types).
declare const window: any;
declare const document: any;

const ORIGIN = "http://lab.test";
const VEGALITE = "application/vnd.vegalite.v5+json";
const ARTIFACTS = path.join(ROOT, "test-artifacts");
const KOREAN_FONT = /^Noto Sans (KR|Korean)/;
const notebooks = COURSE().map((f) => f.replace(/\.ipynb$/, ""));
const work = tempDir("seqlab-lab-");

let course: ExecutedCourse;
let lab: LabPage;
let browser: Browser;

/** A fontconfig that knows only font files from npm packages: `korean` adds Noto Sans KR. */
function fontConfig(name: string, korean: boolean): string {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  const dirs = [
    path.join(packageDir("dejavu-fonts-ttf"), "ttf"),
    ...(korean ? [path.join(packageDir("@embedpdf/fonts-kr"), "fonts")] : []),
  ];
  const file = path.join(dir, "fonts.conf");
  writeFileSync(
    file,
    `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>` +
      dirs.map((d) => `<dir>${d}</dir>`).join("") +
      `<cachedir>${path.join(dir, "cache")}</cachedir></fontconfig>\n`,
  );
  return file;
}

function launch(fonts: string): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.SEQLAB_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    env: { ...process.env, FONTCONFIG_FILE: fonts },
  });
}

before(async () => {
  [course, lab] = await Promise.all([executedCourse(), buildLabPage(path.join(work, "page"))]);
  console.log(
    `# JupyterLab renderers: ${Object.entries(lab.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}; course ${course.ran ? "run by this suite" : "reused from another suite"} in ${course.dir}`,
  );
  browser = await launch(fontConfig("fonts-ko", true));
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
  close(): Promise<void>;
}

/** A page of the bundle, served from files under a made-up origin; every other request is refused and counted. */
async function open(b: Browser = browser): Promise<Opened> {
  const context = await b.newContext({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  await context.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== ORIGIN) {
      requests.push(url.href);
      return route.abort();
    }
    const rel = decodeURIComponent(url.pathname).replace(/^\/+/, "");
    const file = rel.startsWith("course/") ? path.join(course.dir, rel.slice("course/".length)) : path.join(lab.dir, rel);
    if (!existsSync(file) || path.relative(rel.startsWith("course/") ? course.dir : lab.dir, file).startsWith("..")) {
      requests.push(url.href);
      return route.fulfill({ status: 404, body: "" });
    }
    const type = file.endsWith(".html")
      ? "text/html"
      : file.endsWith(".js")
        ? "text/javascript"
        : file.endsWith(".css")
          ? "text/css"
          : "application/octet-stream";
    return route.fulfill({ status: 200, contentType: type, body: readFileSync(file) });
  });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${ORIGIN}/index.html`, { waitUntil: "load" });
  await page.waitForFunction(() => window.lab?.ready === true);
  return { page, errors, requests, close: () => context.close() };
}

interface Described {
  cell: number;
  index: number;
  type: string;
  mimes: string[];
  mime: string | null;
  text: string;
  vega?: {
    marks: Record<string, number> | null;
    ink: number;
    canvas: [number, number] | null;
    font: string | null;
    drawnSpec: string | null;
    modelSpec: string;
    embeds: number;
  };
  plotly?: {
    drawn: boolean;
    traces: number;
    gl: number;
    data: number;
    fallback: { visible: boolean; text: string } | null;
    height: number;
  };
  image?: { complete: boolean; naturalWidth: number } | null;
}

/** Elements of `scope` with Hangul whose fonts, as Chromium reports them, include no Korean font (or too few of its glyphs). */
async function hangulWithoutKoreanFont(page: Page, scope: string): Promise<{ checked: number; failures: string[] }> {
  const checked: number = await page.evaluate((s) => window.lab.markHangul(s), scope);
  const cdp = await page.context().newCDPSession(page);
  const failures: string[] = [];
  try {
    await cdp.send("DOM.enable");
    await cdp.send("CSS.enable");
    const { root } = await cdp.send("DOM.getDocument", { depth: -1 });
    const { nodeIds } = await cdp.send("DOM.querySelectorAll", {
      nodeId: root.nodeId,
      selector: `section[data-scope="${scope}"] [data-hangul]`,
    });
    for (const nodeId of nodeIds) {
      const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
      const { attributes } = await cdp.send("DOM.getAttributes", { nodeId });
      const attr = (k: string) => attributes[attributes.indexOf(k) + 1];
      const syllables = Number(attr("data-syllables"));
      const korean = fonts.filter((f) => KOREAN_FONT.test(f.familyName)).reduce((n, f) => n + f.glyphCount, 0);
      if (korean < Math.max(1, syllables)) {
        const { outerHTML } = await cdp.send("DOM.getOuterHTML", { nodeId });
        failures.push(
          `${outerHTML.slice(0, 120)}… drawn with ${fonts.map((f) => `${f.familyName} (${f.glyphCount} glyphs)`).join(", ") || "no font"}; ${syllables} syllables`,
        );
      }
    }
    assert.equal(nodeIds.length, checked, "every marked element was found");
  } finally {
    await cdp.detach();
  }
  return { checked, failures };
}

const hasHangul = (s: string) => /[\uac00-\ud7a3\u1100-\u11ff]/.test(s);

test("the course was executed (quick mode) with recorded output messages", () => {
  assert.equal(course.status, 0, `seqlab run failed:\n${course.stderr.slice(-4000)}`);
  for (const nb of notebooks) {
    assert.ok(existsSync(path.join(course.dir, `${nb}.ipynb`)), `${nb}.ipynb executed`);
    assert.ok(existsSync(path.join(course.dir, `${nb}.messages.jsonl`)), `${nb}: messages recorded`);
  }
});

const totals = { vega: 0, plotlyTrusted: 0, plotlyFallback: 0, hangulElements: 0, replayedUpdates: 0 };

for (const nb of notebooks) {
  for (const trusted of [true, false]) {
    const mode = trusted ? "trusted" : "untrusted";
    test(`${nb} (${mode}): every output renders; charts drawn, plotly ${trusted ? "drawn" : "fallback shown"}, Korean in a Korean font, no errors`, async () => {
      const saved = JSON.parse(readFileSync(path.join(course.dir, `${nb}.ipynb`), "utf8"));
      const o = await open();
      try {
        await o.page.evaluate(([url, t]) => window.lab.renderNotebook(url, { trusted: t }), [`/course/${nb}.ipynb`, trusted] as const);
        if (trusted) {
          // plotly draws after its script ran (3-D scenes asynchronously)
          await o.page.waitForFunction(
            () => [...document.querySelectorAll(".seqlab-plotly")].every((el: any) => el.querySelector(".main-svg")),
            null,
            { timeout: 60_000 },
          );
        }
        await o.page.waitForFunction(() => [...document.images].every((i: any) => i.complete), null, { timeout: 30_000 });
        const outputs: Described[] = await o.page.evaluate(() => window.lab.describe("final"));

        // one rendered output per stored output, each by a renderer
        const stored = saved.cells.flatMap((c: any, i: number) => (c.outputs ?? []).map((_: unknown, k: number) => `${i}/${k}`));
        assert.deepEqual(
          outputs.map((d) => `${d.cell}/${d.index}`),
          stored,
          "every stored output is shown, once",
        );
        for (const d of outputs) assert.ok(d.mime, `cell ${d.cell} output ${d.index} (${d.mimes.join(", ")}) has a renderer`);

        for (const d of outputs.filter((x) => x.mimes.includes(VEGALITE))) {
          const where = `cell ${d.cell} output ${d.index}`;
          assert.equal(d.mime, VEGALITE, `${where}: drawn by the vega-lite renderer (not its PNG)`);
          const marks = Object.values(d.vega!.marks ?? {}).reduce((a, b) => a + b, 0);
          assert.ok(marks > 0, `${where}: data marks in the scenegraph (${JSON.stringify(d.vega!.marks)})`);
          assert.ok(d.vega!.canvas && d.vega!.ink > 500, `${where}: ink on the canvas (${d.vega!.ink} pixels of ${d.vega!.canvas})`);
          assert.equal(d.vega!.drawnSpec, d.vega!.modelSpec, `${where}: drawn from the output's spec`);
          totals.vega++;
        }
        for (const d of outputs.filter((x) => x.plotly)) {
          const where = `cell ${d.cell} output ${d.index}`;
          if (trusted) {
            assert.ok(
              d.plotly!.drawn && (d.plotly!.traces >= d.plotly!.data || d.plotly!.gl > 0),
              `${where}: plotly drew ${d.plotly!.data} trace(s) (${JSON.stringify(d.plotly)})`,
            );
            assert.equal(d.plotly!.fallback, null, `${where}: the fallback is gone once drawn`);
            totals.plotlyTrusted++;
          } else {
            assert.equal(d.plotly!.drawn, false, `${where}: no script ran`);
            assert.ok(d.plotly!.fallback?.visible, `${where}: the fallback is shown`);
            assert.match(d.plotly!.fallback!.text, /trust/i, `${where}: the fallback says to trust the notebook`);
            totals.plotlyFallback++;
          }
        }
        const plotlyOutputs = outputs.filter((x) => x.mimes.includes("application/vnd.plotly.v1+json"));
        assert.equal(outputs.filter((x) => x.plotly).length, plotlyOutputs.length, "every plotly output is a seqlab figure with its HTML");
        for (const d of outputs.filter((x) => x.mime === "image/png"))
          assert.ok(d.image && d.image.naturalWidth > 0, `cell ${d.cell} output ${d.index}: the PNG loads`);

        // Korean text: DOM text by the fonts Chromium used; canvas text (vega) by the glyphs the chart's font list draws
        const hangul = await hangulWithoutKoreanFont(o.page, "final");
        assert.deepEqual(
          hangul.failures,
          [],
          `Hangul not drawn with Noto Sans KR (${hangul.failures.length} of ${hangul.checked} elements)`,
        );
        totals.hangulElements += hangul.checked;
        const fonts = [
          ...new Set(
            outputs.filter((d) => d.vega && d.vega.modelSpec && hasHangul(d.vega.modelSpec)).map((d) => d.vega!.font ?? "sans-serif"),
          ),
        ];
        for (const font of fonts) {
          const r = await o.page.evaluate(([f]) => window.lab.canvasHangul(`11px ${f}`, '11px "Noto Sans Korean"'), [font] as const);
          assert.deepEqual(
            r,
            { distinct: true, inked: true, sameAsReference: true },
            `vega's canvas text in "${font}" is drawn with Noto Sans KR`,
          );
        }

        if (nb.startsWith("00-plots") || nb.startsWith("06"))
          await o.page.screenshot({ path: path.join(ARTIFACTS, `lab-${nb}-${mode}.png`), fullPage: true });
        assert.deepEqual(o.requests, [], "no network requests");
        assert.deepEqual(o.errors, [], "no console errors");
      } finally {
        await o.close();
      }
    });
  }

  test(`${nb}: output messages replayed at their recorded speed end in the saved notebook's state`, async () => {
    const lines = readFileSync(path.join(course.dir, `${nb}.messages.jsonl`), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const updates = lines.filter((m) => m.msg_type === "update_display_data");
    for (const u of updates) assert.ok(u.content.transient?.display_id, "an update names the display it replaces");
    const o = await open();
    try {
      const r = await o.page.evaluate(([url]) => window.lab.replay(url, { maxGap: 1000 }), [`/course/${nb}.messages.jsonl`] as const);
      assert.equal(r.applied, lines.length);
      await o.page.evaluate(([url]) => window.lab.renderNotebook(url, { trusted: true, scope: "final" }), [`/course/${nb}.ipynb`] as const);
      await o.page.waitForFunction(
        () => [...document.querySelectorAll(".seqlab-plotly")].every((el: any) => el.querySelector(".main-svg")),
        null,
        { timeout: 60_000 },
      );
      const models = await o.page.evaluate(() => ({ replay: window.lab.modelJSON("replay"), final: window.lab.modelJSON("final") }));
      // Cells whose outputs were all cleared leave an empty area in the replay and none in the saved notebook.
      const replayed = Object.fromEntries(Object.entries(models.replay).filter(([, v]) => (v as unknown[]).length));
      assert.deepEqual(replayed, models.final, "the replayed outputs are the saved ones");
      const replay: Described[] = await o.page.evaluate(() => window.lab.describe("replay"));
      const final: Described[] = await o.page.evaluate(() => window.lab.describe("final"));
      assert.deepEqual(
        replay.map((d) => `${d.cell}/${d.index}:${d.mime}`),
        final.map((d) => `${d.cell}/${d.index}:${d.mime}`),
        "the same outputs, in the same renderers, none duplicated",
      );
      for (const [i, d] of replay.entries()) {
        if (d.vega) {
          // the chart on screen is the last update's, not an earlier one whose render finished late
          assert.equal(d.vega.drawnSpec, final[i].vega!.modelSpec, `cell ${d.cell} output ${d.index}: the chart shows the final spec`);
          assert.equal(d.vega.embeds, 1, `cell ${d.cell} output ${d.index}: one chart, not one per update`);
        } else if (d.plotly) assert.deepEqual(d.plotly, final[i].plotly, `cell ${d.cell} output ${d.index}: the same plotly figure`);
        else assert.equal(d.text, final[i].text, `cell ${d.cell} output ${d.index}: the final content`);
      }
      totals.replayedUpdates += updates.length;
      assert.deepEqual(o.requests, [], "no network requests");
      assert.deepEqual(o.errors, [], "no console errors");
    } finally {
      await o.close();
    }
  });
}

test("the course's charts were all seen (totals)", () => {
  console.log(`# lab suite: ${JSON.stringify(totals)}`);
  const stored = notebooks
    .flatMap((nb) => JSON.parse(readFileSync(path.join(course.dir, `${nb}.ipynb`), "utf8")).cells.flatMap((c: any) => c.outputs ?? []))
    .filter((o: any) => VEGALITE in (o.data ?? {})).length;
  assert.ok(stored > 0, "the course has vega-lite charts");
  assert.equal(totals.vega, 2 * stored, `every vega-lite chart drawn, trusted and untrusted (${stored} in the course)`);
  assert.equal(totals.plotlyTrusted, totals.plotlyFallback, "each plotly figure drawn when trusted and replaced by its fallback when not");
  assert.ok(totals.plotlyTrusted > 0, "the course has plotly figures");
  assert.ok(totals.replayedUpdates > 100, `display updates replayed: ${totals.replayedUpdates}`);
});

test("the Korean-font checks fail where Chromium has no Korean font (they can tell)", async () => {
  const latin = await launch(fontConfig("fonts-latin", false));
  try {
    const o = await open(latin);
    try {
      const nb = {
        cells: [
          {
            cell_type: "code",
            outputs: [
              { output_type: "stream", name: "stdout", text: ["학습 손실 (train loss)\n"] },
              { output_type: "display_data", data: { "text/html": ["<b>검증</b> 손실"], "text/plain": ["검증 손실"] }, metadata: {} },
            ],
          },
        ],
      };
      await o.page.evaluate(([n]) => window.lab.renderNotebookJSON(n, { trusted: true, scope: "final" }), [nb] as const);
      const hangul = await hangulWithoutKoreanFont(o.page, "final");
      assert.equal(hangul.checked, 3);
      assert.equal(hangul.failures.length, 3, hangul.failures.join("\n"));
      const r = await o.page.evaluate(() =>
        window.lab.canvasHangul("11px DejaVu Sans, Noto Sans KR, Noto Sans Korean, sans-serif", '11px "Noto Sans Korean"'),
      );
      assert.equal(r.distinct, false, "without the font, two Korean words are the same boxes");
    } finally {
      await o.close();
    }
  } finally {
    await latin.close();
  }
});
