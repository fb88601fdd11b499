// Reports against hostile notebooks: the injection vectors of injection-vectors.ts exported with
// `seqlab export` (sanitized) and `seqlab export --trusted`, opened in headless Chromium with
// every request aborted and counted. No vector may run script, load anything or move the page,
// also when the reader clicks the page's javascript: links and submit buttons and when every
// inline event handler is triggered.
//
// Two layers, each tested on its own: with the page's Content-Security-Policy switched off
// (Playwright's bypassCSP) the sanitized report still runs nothing (the sanitizer alone holds),
// while the trusted report then runs its scripts (so the vectors and the detection are live, and
// it is the CSP that stops them in the real test).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import { chromium, type Browser } from "playwright-core";
import { CLI, tempDir } from "../support/tools";
import { writeNotebook } from "./fixtures";
import { injectionNotebook } from "./injection-vectors";

declare const document: any;
declare const window: any;

const work = tempDir("seqlab-inject-");
const { nb, vectors } = injectionNotebook();
const reports = { sanitized: path.join(work, "sanitized.html"), trusted: path.join(work, "trusted.html") };
let browser: Browser;

before(async () => {
  const file = writeNotebook(work, "injection.ipynb", nb);
  for (const [mode, out] of Object.entries(reports)) {
    const r = spawnSync(process.execPath, [CLI, "export", file, "-o", out, ...(mode === "trusted" ? ["--trusted"] : [])], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `export (${mode}) failed: ${r.stderr}`);
  }
  browser = await chromium.launch({
    executablePath: process.env.SEQLAB_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

after(async () => {
  await browser?.close();
});

/** The report's last code cell: it must still be an element after every vector above it. */
const lastCode =
  nb.cells
    .map((c: any, i: number) => (c.cell_type === "code" ? i : -1))
    .filter((i: number) => i >= 0)
    .pop() + 1;

interface Visit {
  /** The id of the report's last code cell, as the page has it (the structure survived). */
  lastCell: string | null;
  fired: number[];
  /** Requests that reached the network layer (Playwright's route sees them; a request the CSP
   * blocks is reported by the page as a request, but never gets there). */
  requests: string[];
  /** Every request the page made, blocked by the CSP or not. */
  attempted: string[];
  navigations: string[];
  popups: number;
}

/** Open a report, let it draw, then (interact) click its javascript: links and submit buttons and
 * fire every inline event handler; report what ran, what was requested and where it went. */
async function visit(file: string, opts: { bypassCSP?: boolean; interact?: boolean } = {}): Promise<Visit> {
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ bypassCSP: opts.bypassCSP === true });
  const seen: Visit = { lastCell: null, fired: [], requests: [], attempted: [], navigations: [], popups: 0 };
  const outside = (u: string) => u !== url && !/^(data|blob|about):/.test(u);
  context.on("request", (r) => {
    if (outside(r.url())) seen.attempted.push(r.url());
  });
  let pages = 0;
  context.on("page", () => {
    if (++pages > 1) seen.popups++; // the first is the report itself
  });
  await context.route("**/*", (route) => {
    if (outside(route.request().url())) seen.requests.push(route.request().url());
    return route.request().url() === url ? route.continue() : route.abort();
  });
  const page = await context.newPage();
  await page.exposeFunction("pwned", (n: number) => seen.fired.push(n));
  page.on("framenavigated", (frame) => {
    const u = frame.url();
    if (frame === page.mainFrame() ? u !== url : /^(https?|file|ftp):/.test(u)) seen.navigations.push(u);
  });
  try {
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => [...document.querySelectorAll(".chart")].every((el: any) => el.dataset.state), null, {
      timeout: 60_000,
    });
    seen.lastCell = await page.evaluate((id) => document.querySelector(`main > section#${id}.cell.code`)?.id ?? null, `cell-${lastCode}`);
    if (opts.interact) {
      await page.evaluate(() => {
        for (const a of document.querySelectorAll("a[href]")) if (/^\s*javascript:/i.test(a.getAttribute("href"))) a.click();
        for (const el of document.querySelectorAll("*")) {
          for (const attr of [...el.attributes])
            if (/^on/i.test(attr.name)) el.dispatchEvent(new window.Event(attr.name.slice(2).toLowerCase()));
        }
      });
      await page.evaluate(() => {
        for (const b of document.querySelectorAll("button[type=submit], input[type=submit]")) b.click();
      });
    }
    // An observation window for anything scheduled (a refresh, a timer, an image error): nothing
    // here waits on work to finish, the assertions are that nothing happens.
    await page.waitForTimeout(750);
  } finally {
    await context.close();
  }
  seen.fired = [...new Set(seen.fired)].sort((a, b) => a - b);
  return seen;
}

const describeFired = (fired: number[]) => fired.map((n) => `${n}: ${vectors[n - 1]?.what}`).join("; ");

test("the injection corpus has at least 40 vectors", () => {
  assert.ok(vectors.length >= 40, `${vectors.length} vectors`);
});

test("each report's policy admits only its own scripts, no <base> and no form submission", () => {
  for (const file of Object.values(reports)) {
    const html = readFileSync(file, "utf8");
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? "";
    const scriptSrc = /script-src ([^;]+)/.exec(csp)?.[1] ?? "";
    assert.doesNotMatch(scriptSrc, /unsafe-inline|unsafe-eval|\*|data:|https?:/, `script-src ${scriptSrc}`);
    assert.match(scriptSrc, /^('sha256-[A-Za-z0-9+/=]+' ?)+$/, "scripts only by hash");
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /base-uri 'none'/);
    assert.match(csp, /form-action 'none'/);
  }
});

for (const mode of ["sanitized", "trusted"] as const) {
  test(`${mode} report: no vector runs script, loads anything or navigates, also when clicked`, async () => {
    const seen = await visit(reports[mode], { interact: true });
    assert.deepEqual(seen.fired, [], `vectors that ran: ${describeFired(seen.fired)}`);
    assert.equal(seen.lastCell, `cell-${lastCode}`, "the report's structure survived (its last code cell is a cell of <main>)");
    assert.deepEqual(seen.requests, [], "network requests");
    if (mode === "sanitized") {
      // Nothing from the notebook's HTML even tries; what the CSP blocks comes from a chart
      // library (plotly's map trace asks for its topojson).
      assert.deepEqual(
        seen.attempted.filter((u) => !/topo|world_110m/.test(u)),
        [],
        "requests attempted (blocked by the CSP)",
      );
    }
    assert.deepEqual(seen.navigations, [], "navigations");
    assert.equal(seen.popups, 0, "windows opened");
  });
}

test("sanitized report: what is left of the notebook's HTML has no script, handler, javascript: URL, frame, refresh or base", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  await context.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(reports.sanitized).href, { waitUntil: "load" });
    const found = await page.evaluate(() => {
      const bad: string[] = [];
      for (const el of document.querySelectorAll("main *")) {
        const tag = el.tagName.toLowerCase();
        if (["script", "iframe", "object", "embed", "base", "meta", "link", "style", "frame", "svg", "math", "template"].includes(tag)) {
          if (!(tag === "script" && el.type === "application/json" && el.classList.contains("chart-spec")) && !el.closest(".katex"))
            bad.push(`<${tag}>`);
        }
        for (const attr of el.attributes) {
          if (/^on/i.test(attr.name)) bad.push(`${tag} ${attr.name}`);
          if (
            /^\s*(javascript|vbscript|data:text)/i.test(attr.value) &&
            /^(href|src|action|formaction|xlink:href|poster|srcset)$/i.test(attr.name)
          )
            bad.push(`${tag} ${attr.name}=${attr.value.slice(0, 40)}`);
          if (/^(src|poster)$/i.test(attr.name) && !/^data:/i.test(attr.value))
            bad.push(`${tag} ${attr.name}=${attr.value.slice(0, 40)} (not embedded)`);
        }
        if (/url\(/i.test(el.getAttribute("style") ?? "")) bad.push(`${tag} style with url()`);
        if (/position:\s*fixed/i.test(el.getAttribute("style") ?? "")) bad.push(`${tag} style position fixed`);
      }
      return bad;
    });
    assert.deepEqual(found, []);
    const shown = await page.evaluate(() => document.body.innerText);
    // bad image data is reported as text, not dropped silently
    assert.match(shown, /image\/png output not shown: the image\/png data is not base64/);
    assert.match(shown, /attachment "a\d+\.png" not shown: the image\/png data is not base64/);
  } finally {
    await context.close();
  }
});

test("control: without the CSP, the sanitized report still runs nothing (the sanitizer alone holds)", async () => {
  const seen = await visit(reports.sanitized, { bypassCSP: true });
  assert.deepEqual(seen.fired, [], `vectors that ran: ${describeFired(seen.fired)}`);
});

test("control: without the CSP, the trusted report's scripts run (the vectors are live; the CSP is what stops them)", async () => {
  const seen = await visit(reports.trusted, { bypassCSP: true, interact: false });
  const plainScripts = vectors.filter((v) => /a script element$/.test(v.what)).map((v) => v.n);
  assert.ok(plainScripts.length >= 2);
  for (const n of plainScripts)
    assert.ok(seen.fired.includes(n), `vector ${n} (${vectors[n - 1].what}) ran without the CSP; ran: ${describeFired(seen.fired)}`);
});
