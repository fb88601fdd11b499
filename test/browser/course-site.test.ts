// The course site in a real browser (issue 15): a quick `seqlab start` of a small course (two
// English notebooks and their Korean editions, in a temporary folder: the real course is run by
// the firstrun suite), then reports/index.html opened in headless Chromium with every request but
// the page's own file blocked and counted. From the front page in each language every link is
// followed, page by page, until every report is found; each page loads nothing, logs no error, and
// draws its Hangul with the font it embeds (the browser has no Korean font of its own).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, SpawnSyncReturns } from "child_process";
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import { chromium, type Browser, type Page } from "playwright-core";
import { CLI, ROOT, tempDir } from "../support/tools";
import { hangulNotInEmbeddedFont, latinOnlyFontConfig } from "./fonts";

declare const document: any;

const work = tempDir("seqlab-site-");
const site = path.join(work, "reports");
const ARTIFACTS = path.join(ROOT, "test-artifacts");
let run: SpawnSyncReturns<string>;
let browser: Browser;

const md = (source: string) => ({ cell_type: "markdown", metadata: {}, source });
const code = (source: string) => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null });
const KERNELSPEC = {
  en: { name: "seqlab", display_name: "TypeScript (seqlab)", language: "typescript" },
  ko: { name: "seqlab-ko", display_name: "TypeScript (seqlab, 한국어)", language: "typescript" },
};
function write(lang: "en" | "ko", name: string, cells: any[]) {
  const dir = path.join(work, "notebooks", lang === "ko" ? "ko" : "");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, name),
    JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: KERNELSPEC[lang] }, cells }),
  );
}
const GREET = code('console.log(process.env.SEQLAB_LANG === "ko" ? "은닉 상태를 계산했습니다" : "computed the hidden state")');
const SUM = code("[1, 2, 3].reduce((a, b) => a + b, 0)");
const opening = (title: string, outcomes: string[], pre: string) =>
  md(
    `# ${title}\n\nAfter this notebook you can\n\n${outcomes.map((o) => `- ${o}`).join("\n")}\n\n**Prerequisites:** ${pre}\n\n**Time:** 1 s in quick mode, 1 s in full mode`,
  );

/** The report files the site must lead to, relative to reports/. */
const REPORTS = ["en/01-recurrence.html", "en/02-sums.html", "ko/01-recurrence.html", "ko/02-sums.html"];

before(async () => {
  write("en", "01-recurrence.ipynb", [
    opening("1. Recurrence (순환)", ["compute $h_t = \\tanh(W h_{t-1} + U x_t)$,", "explain unrolling (펼침)."], "none"),
    GREET,
  ]);
  write("en", "02-sums.ipynb", [opening("2. Sums", ["add a list of numbers,", "check the sum."], "01-recurrence"), SUM]);
  write("ko", "01-recurrence.ipynb", [
    opening(
      "1. 순환 (Recurrence)",
      ["$h_t = \\tanh(W h_{t-1} + U x_t)$를 계산하고,", "펼침 (unrolling)을 설명합니다. 자모: ㄱ ㅏ ᄀ ᅡ"],
      "none",
    ),
    GREET,
  ]);
  write("ko", "02-sums.ipynb", [opening("2. 합 (Sums)", ["수의 목록을 더하고,", "합을 확인합니다."], "01-recurrence"), SUM]);
  run = spawnSync(process.execPath, [CLI, "start", "notebooks", "--out", "reports", "--quick"], {
    cwd: work,
    env: { ...process.env, SEQLAB_LANG: "en" },
    encoding: "utf8",
    timeout: 10 * 60_000,
  });
  browser = await chromium.launch({
    executablePath: process.env.SEQLAB_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    env: { ...process.env, FONTCONFIG_FILE: latinOnlyFontConfig(work) },
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

const withoutHash = (u: string) => u.replace(/#.*$/, "");

interface Visit {
  links: { href: string; visible: boolean }[];
  requests: string[];
  errors: string[];
  hangulProblems: string[];
  koreanFont: string[];
  visibleSections: string[];
  missingAnchors: string[];
  /** The page's #fragment names an element (true when it has none). */
  hashFound: boolean;
}

/** Open one page with every request but its own file blocked; what it links to and what went wrong. */
async function visit(url: string, shot?: string): Promise<Visit> {
  const own = withoutHash(url);
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  context.on("request", (r) => {
    const u = r.url();
    if (withoutHash(u) !== own && !u.startsWith("data:") && !u.startsWith("blob:")) requests.push(u);
  });
  await context.route("**/*", (route) => (withoutHash(route.request().url()) === own ? route.continue() : route.abort()));
  const page: Page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(url, { waitUntil: "load" });
    await page.evaluate(() => document.fonts.ready);
    const links = await page.evaluate(() =>
      [...document.querySelectorAll("a[href]")].map((a: any) => ({ href: a.href, visible: a.offsetParent !== null })),
    );
    const missingAnchors = await page.evaluate(() =>
      [...document.querySelectorAll('a[href^="#"]')]
        .map((a: any) => a.getAttribute("href").slice(1))
        .filter((id: string) => id && !document.getElementById(decodeURIComponent(id))),
    );
    const hashFound = await page.evaluate(
      () => !document.location.hash || !!document.getElementById(decodeURIComponent(document.location.hash.slice(1))),
    );
    const visibleSections = await page.evaluate(() =>
      [...document.querySelectorAll("section.edition")].filter((s: any) => s.offsetParent !== null).map((s: any) => s.id),
    );
    let koreanFont: string[] = [];
    let hangulProblems: string[] = [];
    if (await page.evaluate(() => /[\uac00-\ud7a3]/.test(document.body.innerText))) {
      await page.evaluate(() => document.fonts.load('16px "seqlab-ko"', "한"));
      koreanFont = await page.evaluate(() =>
        [...document.fonts].filter((f: any) => f.family.replace(/"/g, "") === "seqlab-ko").map((f: any) => f.status),
      );
      hangulProblems = await hangulNotInEmbeddedFont(page);
    }
    if (shot) await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true });
    return { links, requests, errors, hangulProblems, koreanFont, visibleSections, missingAnchors, hashFound };
  } finally {
    await context.close();
  }
}

test("a quick seqlab start of a two-edition course writes the site", () => {
  assert.equal(run.status, 0, `seqlab start failed:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /4 executed, 0 reused from the cache, 0 failed/);
});

test("the front page: each language shows its own section, and links every report in both", async () => {
  const index = pathToFileURL(path.join(site, "index.html")).href;
  const reports = REPORTS.map((r) => pathToFileURL(path.join(site, r)).href);
  for (const [hash, lang] of [
    ["", "en"],
    ["#en", "en"],
    ["#ko", "ko"],
  ] as const) {
    const v = await visit(index + hash, `site-index-${lang}${hash ? "" : "-default"}.png`);
    assert.deepEqual(v.visibleSections, [lang], `index.html${hash} shows the ${lang} section only`);
    const visible = new Set(v.links.filter((l) => l.visible).map((l) => withoutHash(l.href)));
    for (const r of reports)
      assert.ok(visible.has(r), `index.html${hash} links ${path.relative(site, new URL(r).pathname)} where the reader sees it`);
    assert.ok(
      v.links.some((l) => l.visible && l.href === `${index}#${lang === "en" ? "ko" : "en"}`),
      "a switch to the other language",
    );
    assert.deepEqual(v.missingAnchors, [], "every #anchor exists");
    assert.deepEqual(v.requests, [], "no network requests");
    assert.deepEqual(v.errors, [], "no console errors");
    assert.ok(v.koreanFont.includes("loaded"), `the embedded Korean font loaded (${v.koreanFont.join(", ") || "none embedded"})`);
    assert.deepEqual(v.hangulProblems, [], "Hangul drawn with the embedded font");
  }
});

test("following every link from the front page, in both languages, finds every report; no page loads anything or logs an error", async () => {
  const index = pathToFileURL(path.join(site, "index.html")).href;
  const queue = [`${index}#en`, `${index}#ko`];
  const seen = new Set<string>();
  const pages = new Set<string>();
  const problems: string[] = [];
  while (queue.length) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const v = await visit(url);
    const where = path.relative(site, new URL(url).pathname) + new URL(url).hash;
    pages.add(withoutHash(url));
    for (const r of v.requests) problems.push(`${where}: requested ${r}`);
    for (const e of v.errors) problems.push(`${where}: console error ${e}`);
    for (const h of v.hangulProblems) problems.push(`${where}: Hangul not in the embedded font: ${h}`);
    for (const a of v.missingAnchors) problems.push(`${where}: link to a missing #${a}`);
    if (!v.hashFound) problems.push(`${where}: no element has the id the link names`);
    if (v.koreanFont.length && !v.koreanFont.includes("loaded"))
      problems.push(`${where}: the embedded Korean font did not load (${v.koreanFont.join(", ")})`);
    for (const { href } of v.links) {
      if (!href.startsWith("file:")) {
        problems.push(`${where}: a link out of the site, ${href}`);
        continue;
      }
      // Anchors within the page were checked above; pages (and the index in each language) are followed.
      if (withoutHash(href) === withoutHash(url) && !(withoutHash(href) === index && href !== url)) continue;
      if (!new URL(href).pathname.startsWith(site + path.sep)) problems.push(`${where}: a link out of the site folder, ${href}`);
      else queue.push(href);
    }
  }
  assert.deepEqual(problems, []);
  const found = [...pages].map((u) => path.relative(site, new URL(u).pathname)).sort();
  assert.deepEqual(found, ["index.html", ...REPORTS].sort(), "every report, and nothing else, is reached");
});

test("each report links back to the index in its language, to its neighbours and to its other edition", async () => {
  const v = await visit(pathToFileURL(path.join(site, "ko", "02-sums.html")).href, "site-ko-02.png");
  const hrefs = v.links.map((l) => path.relative(site, new URL(l.href).pathname) + new URL(l.href).hash);
  assert.ok(hrefs.includes("index.html#ko"), "back to the Korean front page");
  assert.ok(hrefs.includes("ko/01-recurrence.html"), "to the previous notebook");
  assert.ok(hrefs.includes("en/02-sums.html"), "to the English edition");
  assert.ok(!hrefs.some((h) => /03-/.test(h)), "no next notebook after the last");
  const first = await visit(pathToFileURL(path.join(site, "en", "01-recurrence.html")).href);
  const firstHrefs = first.links.map((l) => path.relative(site, new URL(l.href).pathname) + new URL(l.href).hash);
  assert.ok(
    firstHrefs.includes("index.html#en") && firstHrefs.includes("en/02-sums.html") && firstHrefs.includes("ko/01-recurrence.html"),
    firstHrefs.join(", "),
  );
});
