// The course site's front page (kernel/course-site.ts), from synthetic notebooks: both languages,
// each notebook's outcomes, prerequisites (linked), recorded times and reference numbers, links to
// the reports that exist; no script, a CSP with no source. And the reference numbers it quotes
// (bench/reference/headlines.json) are the recorded ones: each occurs in the file it cites.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "fs";
import * as path from "path";
import { readHeadlines, siteHtml, SiteNotebook } from "../../kernel/tools/course-site";
import { Notebook } from "../../kernel/tools/notebook";
import { ROOT } from "../support/tools";
import { code, markdown, notebook } from "../browser/fixtures";

const opening = (title: string, outcomes: string[], pre: string) =>
  markdown(
    `# ${title}\n\nAfter this notebook you can\n\n${outcomes.map((o) => `- ${o}`).join("\n")}\n\n**Prerequisites:** ${pre}\n\n**Time:** 1 s in quick mode, 2 s in full mode`,
  );
const nb = (cells: any[]) => notebook(cells) as unknown as Notebook;

const NOTEBOOKS: SiteNotebook[] = [
  {
    name: "01-rnn.ipynb",
    editions: {
      en: {
        nb: nb([opening("1. Recurrence", ["compute $h_t$ by hand,", "explain **unrolling**."], "none"), code("1")]),
        report: "en/01-rnn.html",
      },
      ko: {
        nb: nb([opening("1. 순환 (Recurrence)", ["$h_t$를 손으로 계산하고,", "**펼침**을 설명합니다."], "none"), code("1")]),
        report: "ko/01-rnn.html",
      },
    },
  },
  {
    name: "02-lstm.ipynb",
    editions: {
      en: {
        nb: nb([opening("2. LSTM <gates>", ["compute the gates,", "compare with the RNN."], "01-rnn, 00-missing"), code("1")]),
        report: "en/02-lstm.html",
      },
      ko: { nb: nb([opening("2. LSTM 게이트", ["게이트를 계산하고,", "RNN과 비교합니다."], "01-rnn"), code("1")]) },
    },
  },
];
const RECORDED = { cores: 2, notebooks: { "01-rnn.ipynb": { quick: 5, full: 95 }, "02-lstm.ipynb": { quick: 12, full: 3900 } } };
const HEADLINES = {
  "02-lstm.ipynb": [{ file: "rnn-lstm.md", numbers: ["6.896"], en: "LSTM perplexity 6.896.", ko: "LSTM 퍼플렉서티 6.896." }],
};

const section = (html: string, lang: string) => {
  const m = new RegExp(`<section class="edition" id="${lang}" lang="${lang}">([\\s\\S]*?)</section>`).exec(html);
  assert.ok(m, `a ${lang} section`);
  return m[1];
};

test("the front page has both languages, a switch, and per notebook what it teaches, needs, takes and reaches", () => {
  const html = siteHtml(NOTEBOOKS, { mode: "quick", recorded: RECORDED, headlines: HEADLINES });
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'none';/);
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /<a href="#en" hreflang="en" lang="en">English<\/a><a href="#ko" hreflang="ko" lang="ko">한국어<\/a>/);
  const en = section(html, "en"),
    ko = section(html, "ko");
  // Outcomes as rendered markdown (math by KaTeX), from each edition's own opening.
  assert.match(en, /<li id="en-01-rnn"><h2><a href="en\/01-rnn\.html">1\. Recurrence<\/a><\/h2>/);
  assert.match(
    en,
    /After this notebook you can<\/dt><dd><ul>\s*<li>compute <span class="katex">[\s\S]*?explain <strong>unrolling<\/strong>\./,
  );
  assert.match(ko, /<li id="ko-01-rnn"><h2><a href="ko\/01-rnn\.html">1\. 순환 \(Recurrence\)<\/a><\/h2>/);
  assert.match(ko, /<strong>펼침<\/strong>을 설명합니다\./);
  // A title is text, not HTML.
  assert.match(en, /2\. LSTM &lt;gates&gt;/);
  // Prerequisites: a notebook of the course is linked within the same language; others are named.
  assert.match(en, /Prerequisites<\/dt><dd><a href="#en-01-rnn">01-rnn<\/a>, 00-missing<\/dd>/);
  assert.match(
    ko,
    /선수 노트북<\/dt><dd><a href="#ko-01-rnn">01-rnn<\/a>, 00-missing<\/dd>/,
    "prerequisites come from the English edition",
  );
  assert.match(en, /Prerequisites<\/dt><dd>none<\/dd>/);
  // Times as recorded, in each language's words.
  assert.match(en, /quick mode ~5 s, full mode ~1 min 35 s \(measured on a 2-core machine\)/);
  assert.match(ko, /빠른 모드 약 12초, 전체 모드 약 1시간 05분 \(2코어 컴퓨터에서 측정\)/);
  // Reference numbers where there are some.
  assert.match(
    en,
    /Reference numbers \(full mode\)<\/dt><dd><ul><li>LSTM perplexity 6\.896\. <span class="muted">\(bench\/reference\/rnn-lstm\.md\)/,
  );
  assert.match(ko, /기준 수치 \(전체 모드\)<\/dt><dd><ul><li>LSTM 퍼플렉서티 6\.896\./);
  assert.equal((en.match(/Reference numbers/g) ?? []).length, 1, "only where bench/reference has them");
  // Reports: linked where written; a missing one said so.
  assert.match(
    en,
    /href="en\/02-lstm\.html" hreflang="en" lang="en">English<\/a> · <span class="muted" lang="ko">한국어: 실행하지 않음<\/span>/,
  );
  assert.match(ko, /<h2>2\. LSTM 게이트<\/h2>/, "no report, no link in the heading");
  // The mode the reports were made in.
  assert.match(en, /made in quick mode/);
  assert.match(siteHtml(NOTEBOOKS, { mode: "full", recorded: RECORDED, headlines: HEADLINES }), /made in full mode/);
});

test("bench/reference/headlines.json quotes recorded numbers: each in the file it cites and in both texts; every notebook named exists", () => {
  const headlines = readHeadlines();
  const course = readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb"));
  assert.ok(Object.keys(headlines).length > 0);
  for (const [name, list] of Object.entries(headlines)) {
    assert.ok(course.includes(name), `${name} is a notebook of the course`);
    for (const h of list) {
      const file = path.join(ROOT, "bench", "reference", h.file);
      assert.ok(existsSync(file), `${name}: bench/reference/${h.file} exists`);
      const text = readFileSync(file, "utf8");
      assert.ok(h.numbers.length > 0, `${name}: numbers to check`);
      for (const n of h.numbers) {
        assert.ok(text.includes(n), `${name}: ${n} is not in bench/reference/${h.file}`);
        assert.ok(h.en.includes(n) && h.ko.includes(n), `${name}: ${n} is in both texts`);
      }
    }
  }
});
