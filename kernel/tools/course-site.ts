// The course site that `seqlab start` (npm start) writes: reports/index.html, the front page in
// both languages, beside the reports in reports/en/ and reports/ko/. For each notebook: what it
// teaches (the outcomes of its opening), its prerequisites, its time in quick and full mode
// (notebooks/timings.json), the reference numbers of full mode (bench/reference/headlines.json)
// and a link to its report in each language. The language switch needs no script: two sections,
// the one named by the address's #en or #ko shown (English without one). Like the reports it loads
// nothing (a Content-Security-Policy with no source at all) and carries the Korean font it uses.
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../server/atomic-write";
import type { Mode } from "./course-cache";
import { duration, Recorded } from "./course-estimate";
import type { PlannedNotebook } from "./course-plan";
import { readOpening } from "./course-structure";
import { katexCss } from "./export/assets";
import { escapeHtml, Page } from "./export/common";
import { withKoreanFont } from "./export/fonts";
import { contentSecurityPolicy } from "./export/html";
import { renderMarkdown } from "./export/markdown";
import { PAGE_CSS } from "./export/style";
import { Language, Notebook } from "./notebook";
import { PACKAGE_ROOT } from "./typed-paths";

export const SITE_INDEX = "index.html";
const HEADLINES = path.join(PACKAGE_ROOT, "bench", "reference", "headlines.json");

export interface Headline {
  file: string;
  numbers: string[];
  en: string;
  ko: string;
}

/** bench/reference/headlines.json: the reference numbers per notebook file name. */
export function readHeadlines(file = HEADLINES): Record<string, Headline[]> {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, "utf8")).notebooks ?? {};
}

const WORDS = {
  en: {
    title: "Sequence models in TypeScript: from RNNs to GPT",
    intro:
      "A course of notebooks run with the seqlab kernel: from the recurrence h_t = f(h_{t-1}, x_t; Θ) and its unrolling through LSTM gates to the pretraining objectives behind ELMo, word2vec, BERT, XLNet and GPT. Each notebook below links to its report (the notebook as it ran here, outputs included) in English and in Korean.",
    mode: {
      quick:
        "These reports were made in quick mode: small models and few steps, so their numbers are not the reference numbers below (npm start -- --full trains to them).",
      full: "These reports were made in full mode: their numbers should match the reference numbers below.",
    },
    outcomes: "After this notebook you can",
    prerequisites: "Prerequisites",
    none: "none",
    time: "Time",
    timeText: (q: string, f: string, cores: number) => `quick mode ~${q}, full mode ~${f} (measured on a ${cores}-core machine)`,
    reference: "Reference numbers (full mode)",
    reports: "Report",
    notRun: "not run",
    other: "한국어",
    skip: "Notebooks",
  },
  ko: {
    title: "TypeScript로 배우는 시퀀스 모델: RNN에서 GPT까지",
    intro:
      "seqlab 커널로 실행하는 노트북 강좌입니다. 순환식 h_t = f(h_{t-1}, x_t; Θ)와 그 펼침에서 시작해 LSTM 게이트를 거쳐 ELMo, word2vec, BERT, XLNet, GPT의 사전학습 목표까지 다룹니다. 아래 각 노트북에서 한국어와 영어 보고서(이 컴퓨터에서 실행한 노트북과 그 출력)로 갈 수 있습니다.",
    mode: {
      quick:
        "이 보고서들은 빠른 모드로 만들었습니다. 작은 모델을 짧게 학습하므로 아래 기준 수치와 다릅니다 (npm start -- --full 로 기준 수치까지 학습합니다).",
      full: "이 보고서들은 전체 모드로 만들었습니다. 수치가 아래 기준 수치와 맞아야 합니다.",
    },
    outcomes: "이 노트북을 마치면 할 수 있는 것",
    prerequisites: "선수 노트북",
    none: "없음",
    time: "소요 시간",
    timeText: (q: string, f: string, cores: number) => `빠른 모드 약 ${q}, 전체 모드 약 ${f} (${cores}코어 컴퓨터에서 측정)`,
    reference: "기준 수치 (전체 모드)",
    reports: "보고서",
    notRun: "실행하지 않음",
    other: "English",
    skip: "노트북",
  },
};

/** "1 h 05 min" → "1시간 05분" for the Korean page. */
const koDuration = (s: string) =>
  s
    .replace(/(\d+) h\b/, "$1시간")
    .replace(/(\d+) min\b/, "$1분")
    .replace(/(\d+) s\b/, "$1초");

export interface SiteNotebook {
  /** File name, e.g. "03-char-rnn.ipynb". */
  name: string;
  /** Each edition's notebook and whether its report exists (path relative to the site). */
  editions: Partial<Record<Language, { nb: Notebook; report?: string }>>;
}

export interface SiteOptions {
  mode: Mode;
  recorded: Recorded;
  headlines?: Record<string, Headline[]>;
}

const SITE_CSS = `
section.edition { display: none; }
section.edition:target, body:not(:has(section.edition:target)) section#en { display: block; }
.site { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
.switch { display: flex; gap: 1rem; justify-content: flex-end; font-size: 0.95rem; padding: 0.5rem 0; border-bottom: 1px solid var(--border); }
ol.notebooks { list-style: none; padding: 0; }
ol.notebooks > li { border: 1px solid var(--border); border-radius: 6px; padding: 0.75rem 1.25rem; margin: 1rem 0; }
ol.notebooks h2 { margin: 0.25rem 0 0.5rem; font-size: 1.25rem; }
.links { display: flex; gap: 1rem; flex-wrap: wrap; }
.facts { margin: 0.5rem 0; }
.facts dt { font-weight: 600; margin-top: 0.5rem; }
.facts dd { margin: 0.1rem 0 0 0; }
.facts dd ul { margin: 0.2rem 0; padding-left: 1.25rem; }
.muted { color: var(--muted); }
`;

/** The front page, both languages (no script). */
export function siteHtml(notebooks: SiteNotebook[], o: SiteOptions): string {
  const page = new Page();
  const headlines = o.headlines ?? readHeadlines();
  const section = (lang: Language) => {
    const w = WORDS[lang];
    const items = notebooks.map((n) => {
      const own = n.editions[lang] ?? n.editions[lang === "en" ? "ko" : "en"]!;
      const english = n.editions.en ?? own;
      const opening = readOpening(own.nb);
      const title = opening.title ?? n.name.replace(/\.ipynb$/, "");
      const id = `${lang}-${n.name.replace(/\.ipynb$/, "")}`;
      const mine = n.editions[lang]?.report;
      const links = (["en", "ko"] as const)
        .filter((l) => n.editions[l])
        .map((l) => {
          const r = n.editions[l]!.report;
          const label = `${l === "en" ? "English" : "한국어"}`;
          return r
            ? `<a href="${escapeHtml(r)}" hreflang="${l}" lang="${l}">${escapeHtml(label)}</a>`
            : `<span class="muted" lang="${l}">${escapeHtml(label)}: ${escapeHtml(WORDS[l].notRun)}</span>`;
        });
      const pre = readOpening(english.nb).prerequisites;
      const preHtml =
        pre === undefined
          ? ""
          : pre.length === 0
            ? escapeHtml(w.none)
            : pre
                .map((p) =>
                  notebooks.some((m) => m.name === `${p}.ipynb`)
                    ? `<a href="#${escapeHtml(`${lang}-${p}`)}">${escapeHtml(p)}</a>`
                    : escapeHtml(p),
                )
                .join(", ");
      const rec = o.recorded.notebooks[n.name];
      const dur = (s: number) => (lang === "ko" ? koDuration(duration(s)) : duration(s));
      const facts = [
        opening.outcomes.length
          ? `<dt>${escapeHtml(w.outcomes)}</dt><dd>${renderMarkdown(opening.outcomes.map((x) => `- ${x}`).join("\n"), page)}</dd>`
          : "",
        pre !== undefined ? `<dt>${escapeHtml(w.prerequisites)}</dt><dd>${preHtml}</dd>` : "",
        rec ? `<dt>${escapeHtml(w.time)}</dt><dd>${escapeHtml(w.timeText(dur(rec.quick), dur(rec.full), o.recorded.cores))}</dd>` : "",
        headlines[n.name]?.length
          ? `<dt>${escapeHtml(w.reference)}</dt><dd><ul>${headlines[n.name].map((h) => `<li>${escapeHtml(h[lang])} <span class="muted">(bench/reference/${escapeHtml(h.file)})</span></li>`).join("")}</ul></dd>`
          : "",
      ].join("");
      const heading = mine ? `<a href="${escapeHtml(mine)}">${escapeHtml(title)}</a>` : escapeHtml(title);
      return `<li id="${escapeHtml(id)}"><h2>${heading}</h2>\n<div class="links">${escapeHtml(w.reports)}: ${links.join(" · ")}</div>\n<dl class="facts">${facts}</dl></li>`;
    });
    return (
      `<section class="edition" id="${lang}" lang="${lang}">\n<h1>${escapeHtml(w.title)}</h1>\n<p>${escapeHtml(w.intro)}</p>\n<p class="muted">${escapeHtml(w.mode[o.mode])}</p>\n` +
      `<ol class="notebooks" aria-label="${escapeHtml(w.skip)}">\n${items.join("\n")}\n</ol>\n</section>\n`
    );
  };
  const body = section("en") + section("ko");
  const styles = [page.needs.has("katex") ? katexCss() : "", PAGE_CSS, SITE_CSS].filter(Boolean);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy([])}">
<meta name="generator" content="seqlab start">
<title>seqlab · ${escapeHtml(WORDS.en.title)} · ${escapeHtml(WORDS.ko.title)}</title>
${styles.map((s) => `<style>${s}</style>`).join("\n")}
</head>
<body>
<div class="site">
<nav class="switch" aria-label="Language / 언어"><a href="#en" hreflang="en" lang="en">English</a><a href="#ko" hreflang="ko" lang="ko">한국어</a></nav>
${body}</div>
</body>
</html>
`;
}

/** The course's notebooks, by file name in course order, with each edition's notebook and report. */
export function siteNotebooks(reportsDir: string, plan: PlannedNotebook[]): SiteNotebook[] {
  const byName = new Map<string, SiteNotebook>();
  for (const p of plan) {
    const name = path.basename(p.file);
    const entry = byName.get(name) ?? { name, editions: {} };
    byName.set(name, entry);
    const report = path.join(p.edition, name.replace(/\.ipynb$/i, "") + ".html");
    entry.editions[p.edition] = {
      nb: p.nb,
      report: existsSync(path.join(reportsDir, report)) ? report.split(path.sep).join("/") : undefined,
    };
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Write reports/index.html (atomically), with the Hangul it uses embedded. */
export async function writeSite(reportsDir: string, plan: PlannedNotebook[], o: SiteOptions): Promise<string> {
  const file = path.join(reportsDir, SITE_INDEX);
  writeFileAtomic(file, await withKoreanFont(siteHtml(siteNotebooks(reportsDir, plan), o)), "course site");
  return file;
}
