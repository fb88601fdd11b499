// seqlab's widgets live in the ipywidgets 8 front end: a page bundled from npm's
// @jupyterlab/services and @jupyter-widgets/html-manager (built here, now), talking to a seqlab
// kernel that Debian's notebook server started on 127.0.0.1, in headless Chromium. A person's
// drag of the temperature slider must change the sampled text below it; the play button must
// scrub the time step, and the gate heatmap below must follow.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "fs";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { tempDir } from "../support/tools";
import { SCRUBBER, SETUP, TEMPERATURE } from "./fixtures";
import { buildPage, ci, launch, Server, startServer, widgetsMissing } from "./support";

// The page's globals, for the functions evaluated inside it (this project has no DOM types).
declare const document: any;
declare const seqlab: any;

const missing = widgetsMissing();
const skip = !ci && missing ? missing : false;
const WAIT = { timeout: 90_000 };

let server: Server | undefined;
let browser: Browser | undefined;
let page: Page;
const pageErrors: string[] = [];

async function run(code: string, id: string): Promise<{ result?: string }> {
  const r = await page.evaluate(([code, id]) => seqlab.run(code, id), [code, id]);
  assert.equal(r.status, "ok", `${code}\n→ ${r.error}`);
  assert.deepEqual(r.errors, []);
  return r;
}

before(async () => {
  if (skip) return;
  assert.equal(missing, undefined, missing);
  const dir = tempDir("seqlab-widgets-page-");
  await buildPage(dir);
  server = await startServer(dir);
  browser = await launch();
  page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    // @jupyterlab/services first asks for the v1 websocket subprotocol, which the classic server
    // lacks; it then reconnects without it. Any other error counts.
    if (m.type() === "error" && !/WebSocket/.test(m.text())) pageErrors.push(m.text());
  });
  await page.goto(server.page);
  await page.waitForFunction(() => document.body.dataset.ready === "yes", null, WAIT);
  assert.equal(await page.evaluate(([url, token]) => seqlab.start(url, token), [server.url, server.token]), "seqlab");
  await run(SETUP, "setup");
});

after(async () => {
  await page?.evaluate(() => seqlab.stop()).catch(() => {});
  await browser?.close();
  await server?.stop();
});

test("dragging the temperature slider changes the sampled text below it", { skip }, async () => {
  await run(TEMPERATURE, "temperature");
  const output = page.locator("#temperature .widget-output");
  const readout = page.locator("#temperature .widget-readout");
  assert.equal((await readout.textContent())?.trim(), "1.0");
  const first = (await output.innerText()).trim();
  assert.match(first, /^T=1\.0: [a-z ]{40}$/);

  // A person's drag: press on the handle, move right in steps, let go.
  const handle = (await page.locator("#temperature .noUi-handle").boundingBox())!;
  const track = (await page.locator("#temperature .noUi-target").boundingBox())!;
  const [x, y] = [handle.x + handle.width / 2, handle.y + handle.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(x + (track.width * 0.4 * i) / 10, y);
  await page.mouse.up();

  // The output follows the value the slider shows (the latest one: older runs were superseded).
  await page.waitForFunction(
    () => {
      const r = document.querySelector("#temperature .widget-readout")?.textContent?.trim();
      const o = document.querySelector("#temperature .widget-output")?.innerText?.trim() ?? "";
      return r && r !== "1.0" && o.startsWith(`T=${r}:`);
    },
    null,
    WAIT,
  );
  const t = (await readout.textContent())!.trim();
  assert.ok(Number(t) > 1, `the slider moved right: ${t}`);
  const shown = (await output.innerText()).trim();
  assert.notEqual(shown, first);
  // The kernel holds the value the page shows, and the text is the sampler's at that temperature.
  assert.equal((await run("knob.controls.temperature.value.toFixed(1)", "check-t")).result, `'${t}'`);
  assert.equal(`'${shown}'`, (await run(`\`T=${t}: \${sample(${t})}\``, "check-text")).result);
  assert.deepEqual(pageErrors, []);
});

test("the play button scrubs the time step and the gate heatmap follows", { skip }, async () => {
  await run(SCRUBBER, "scrubber");
  const caption = page.locator("#scrubber caption");
  assert.equal(await caption.innerText(), "gates at step 0");
  await page.locator("#scrubber .widget-play button").first().click();
  // Watch the heatmap until the player reaches the last step.
  const seen = new Set<string>();
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    const c = await caption.innerText().catch(() => "");
    if (c) seen.add(c);
    if (c === "gates at step 9") break;
    assert.ok(Date.now() < deadline, `the heatmap did not reach step 9; it showed ${[...seen].join(", ")}`);
    await page.waitForTimeout(25);
  }
  assert.ok(seen.size >= 2, `the heatmap moved: ${[...seen].join(", ")}`);
  // The marked column is step 9's, the linked slider shows 9, and the kernel has 9.
  const marked = await page.evaluate(() =>
    Array.from(document.querySelectorAll("#scrubber tr")[0].querySelectorAll("td")).findIndex((td: any) => td.textContent === "◆"),
  );
  assert.equal(marked, 9);
  assert.equal((await page.locator("#scrubber .widget-readout").textContent())?.trim(), "9");
  assert.equal((await run("scrub.controls.step.value", "check-step")).result, "9");
  assert.deepEqual(pageErrors, []);
});

/** The code cells of a course notebook up to and including its knob (the cell tagged "knob"). */
function upToKnob(name: string): string[] {
  const nb = JSON.parse(readFileSync(path.resolve(__dirname, "..", "..", "..", "notebooks", name), "utf8"));
  const code = nb.cells
    .filter((c: any) => c.cell_type === "code")
    .map((c: any) => ({ tags: c.metadata?.tags ?? [], src: [c.source].flat().join("") }));
  const k = code.findIndex((c: any) => c.tags.includes("knob"));
  assert.ok(k >= 0, `${name} has a cell tagged knob`);
  return code.slice(0, k + 1).map((c: any) => c.src);
}

test("notebook 03's own knob: dragging the temperature samples again from the trained model", { skip }, async () => {
  // The notebook itself, in quick mode (the server's kernels have SEQLAB_QUICK=1), up to its knob.
  const cells = upToKnob("03-char-rnn.ipynb");
  for (const [i, code] of cells.entries()) await run(code, i === cells.length - 1 ? "nb03" : `nb03-${i}`);
  const output = page.locator("#nb03 .widget-output");
  const readout = page.locator("#nb03 .widget-readout").first();
  assert.equal((await readout.textContent())?.trim(), "1.0");
  const first = (await output.innerText()).trim();
  assert.match(first, /^τ = 1\.0, top-k -: time traveller /);

  const handle = (await page.locator("#nb03 .noUi-handle").first().boundingBox())!;
  const track = (await page.locator("#nb03 .noUi-target").first().boundingBox())!;
  const [x, y] = [handle.x + handle.width / 2, handle.y + handle.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(x - (track.width * 0.4 * i) / 8, y);
  await page.mouse.up();
  await page.waitForFunction(
    () => {
      const r = document.querySelector("#nb03 .widget-readout")?.textContent?.trim();
      const o = document.querySelector("#nb03 .widget-output")?.innerText?.trim() ?? "";
      return r && r !== "1.0" && o.startsWith(`τ = ${r},`);
    },
    null,
    WAIT,
  );
  const t = (await readout.textContent())!.trim();
  assert.ok(Number(t) < 1, `the slider moved left: ${t}`);
  const shown = (await output.innerText()).trim();
  assert.notEqual(shown, first);
  // The text is the trained model's sample at that temperature (same seed), computed again in the kernel.
  const again = await run(`lm.predict("time traveller ", 80, vocab, { temperature: ${t}, seed: 1 })`, "nb03-check");
  assert.equal(`'${shown.replace(/^τ = [\d.]+, top-k -: /, "")}'`, again.result);
  assert.deepEqual(pageErrors, []);
});
