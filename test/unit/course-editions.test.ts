// The course's two editions (issue 15): for every notebook in notebooks/ a Korean one in
// notebooks/ko/ with the same cells, its code cells identical to the English ones (source and
// metadata), its kernelspec seqlab-ko, Hangul at least 60% of the letters of its markdown prose,
// and the glossary's slides terms in the notebook that introduces each. A missing translation
// fails, in CI and outside it. The checks are tested first, one defect at a time, on small
// synthetic notebooks; then scripts/ko-edition.ts, which carries English code into Korean.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import {
  copyCodeCells,
  editionProblems,
  GLOSSARY,
  glossaryProblems,
  hangulShare,
  koreanPath,
  MIN_HANGUL,
  proseOf,
  readGlossary,
  SLIDES_TERMS,
} from "../../kernel/tools/course-editions";
import { structureProblems } from "../../kernel/tools/course-structure";
import { KERNELSPEC_METADATA, Notebook, readNotebook } from "../../kernel/tools/notebook";
import { ROOT, tempDir } from "../support/tools";
import { code, markdown, notebook } from "../browser/fixtures";

// ---- the checks, on synthetic notebooks -------------------------------------------------------

const english = (): Notebook =>
  notebook([
    markdown("# 7. Forward and Backward LMs\n\nA forward LM reads left to right; see `model.forward()` and $p(x_t \\mid x_{<t})$."),
    { ...code('const lm = forwardLM({ seed: 0 });\nsay("trained", "학습 완료");'), metadata: { tags: ["setup"] } },
    markdown("## 7.1 The backward LM\n\nIt reads right to left."),
    code('lm.score("the cat")'),
  ]) as any;

const korean = (): Notebook => {
  const nb = structuredClone(english()) as any;
  nb.cells[0].source =
    "# 7. 순방향과 역방향 언어 모델 (Forward and Backward LMs)\n\n**순방향 언어 모델 (forward LM)**은 왼쪽에서 오른쪽으로 읽습니다. `model.forward()`와 $p(x_t \\mid x_{<t})$를 보세요.";
  nb.cells[2].source = "## 7.1 역방향 언어 모델\n\n**역방향 언어 모델 (backward LM)**은 오른쪽에서 왼쪽으로 읽습니다.";
  nb.metadata.kernelspec = { ...KERNELSPEC_METADATA.ko };
  return nb;
};

test("a faithful translation has no edition problems and is mostly Hangul", () => {
  assert.deepEqual(editionProblems(english(), korean(), "07.ipynb"), []);
  assert.ok(hangulShare(korean()) >= MIN_HANGUL, `Hangul share ${hangulShare(korean())}`);
  assert.ok(hangulShare(english()) < 0.05);
});

test("each departure of the Korean edition from the English one's cells is reported", () => {
  const cases: [string, (ko: any) => void, RegExp][] = [
    [
      "a changed code cell",
      (ko) => (ko.cells[3].source = 'lm.score("고양이")'),
      /code cell 4 is not the English edition's: its source differs \(line 1: English "lm\.score\(\\"the cat\\"\)", Korean "lm\.score\(\\"고양이\\"\)"\)/,
    ],
    [
      "a translated string in code",
      (ko) => (ko.cells[1].source = 'const lm = forwardLM({ seed: 0 });\nsay("학습 완료", "학습 완료");'),
      /code cell 2 .*line 2/,
    ],
    [
      "changed code cell metadata",
      (ko) => (ko.cells[1].metadata = { tags: ["setup", "ko"] }),
      /code cell 2 is not the English edition's: its metadata differs/,
    ],
    ["a dropped cell", (ko) => ko.cells.splice(2, 1), /3 cells, the English edition has 4/],
    ["an added cell", (ko) => ko.cells.push(markdown("추가")), /5 cells, the English edition has 4/],
    ["cells swapped", (ko) => ko.cells.splice(1, 2, ko.cells[2], ko.cells[1]), /cell 2 is markdown, the English edition's is code/],
  ];
  for (const [what, spoil, want] of cases) {
    const ko = korean();
    spoil(ko);
    const problems = editionProblems(english(), ko, "07.ipynb");
    assert.ok(
      problems.some((p) => want.test(p)),
      `${what}: expected ${want}, got ${JSON.stringify(problems)}`,
    );
  }
  // Metadata keys in another order are the same metadata; outputs and execution counts are not compared.
  const ko = korean() as any;
  ko.cells[1].metadata = JSON.parse(JSON.stringify({ tags: ["setup"] }));
  ko.cells[3].outputs = [{ output_type: "stream", name: "stdout", text: "점수" }];
  ko.cells[3].execution_count = 9;
  assert.deepEqual(editionProblems(english(), ko, "07.ipynb"), []);
});

test("Hangul is counted among the letters of prose: code spans, fenced code, math and link targets do not count", () => {
  assert.equal(proseOf("가 `const x = 1` 나").replace(/\s+/g, " "), "가 나");
  assert.equal(proseOf("가 $h_t = \\tanh(W x_t)$ 나 $$\\sum_t \\log p$$ 다").replace(/\s+/g, " "), "가 나 다");
  assert.equal(proseOf("가\n```ts\nconst english = words;\n```\n나").replace(/\s+/g, " "), "가 나");
  assert.equal(proseOf("[논문](https://arxiv.org/abs/1802.05365) 참고").replace(/\s+/g, " "), "[논문] 참고");
  const nb = (text: string) => notebook([markdown(text), code("const englishWordsInCodeDoNotCount = 1;")]) as any;
  // 6 Hangul, 4 Latin letters: 60%.
  assert.equal(hangulShare(nb("순환 신경망이 RNNs `lots of code here` $abcdefgh$")), 0.6);
  // Too little Hangul: an English paragraph with Korean terms, as the English edition writes.
  const tooLittle = korean() as any;
  tooLittle.cells[2].source =
    "## 7.1 역방향 언어 모델\n\nThe backward LM reads the text from right to left, and we train it exactly like the forward one.";
  assert.ok(hangulShare(tooLittle) < MIN_HANGUL, `share ${hangulShare(tooLittle)}`);
});

const GLOSSARY_TEXT = [
  "# 용어집",
  "",
  "| 한국어 | English | 처음 나오는 노트북 (introduced in) | 출처 (source) |",
  "| --- | --- | --- | --- |",
  ...SLIDES_TERMS.map(
    (t) =>
      `| ${t} | ${t === "순방향 언어 모델" ? "forward LM" : t === "역방향 언어 모델" ? "backward LM" : `en ${t}`} | \`07.ipynb\` | 강의 슬라이드 (the slides) |`,
  ),
  "| 은닉 상태 | hidden state | `07.ipynb` | d2l 한국어판 |",
].join("\n");

test("the glossary: every slides term listed as the slides', and in the Korean notebook that introduces it", () => {
  const entries = readGlossary(GLOSSARY_TEXT);
  assert.equal(entries.length, SLIDES_TERMS.length + 1);
  assert.deepEqual(entries[0], {
    ko: "순방향 언어 모델",
    en: "forward LM",
    notebook: "07.ipynb",
    source: "강의 슬라이드 (the slides)",
    line: 5,
  });
  // Every slides term in the one notebook (a term may be wrapped across lines).
  const full = korean() as any;
  full.cells[2].source += "\n\n" + SLIDES_TERMS.map((t) => t.replace(" ", "\n")).join(", ") + "를 씁니다.";
  const ok = glossaryProblems(entries, ["07.ipynb"], new Map([["07.ipynb", full]]));
  assert.deepEqual(ok, []);

  const cases: [string, string, Map<string, Notebook>, RegExp][] = [
    [
      "a term missing from its notebook",
      GLOSSARY_TEXT,
      new Map([["07.ipynb", korean()]]),
      /the slides' term "펼침" does not appear in ko\/07\.ipynb/,
    ],
    [
      "a slides term not listed",
      GLOSSARY_TEXT.replace(/^\| 미세조정 .*$/m, ""),
      new Map([["07.ipynb", full]]),
      /the slides' term "미세조정" is not listed/,
    ],
    [
      "a slides term tagged otherwise",
      GLOSSARY_TEXT.replace(/(\| 펼침 .*)강의 슬라이드 \(the slides\)/, "$1일반 용법"),
      new Map([["07.ipynb", full]]),
      /"펼침" is the slides' term; its source should say "the slides"/,
    ],
    [
      "no known source",
      GLOSSARY_TEXT.replace("d2l 한국어판", "somewhere"),
      new Map([["07.ipynb", full]]),
      /"은닉 상태" has the source "somewhere"/,
    ],
    [
      "a notebook not in the course",
      GLOSSARY_TEXT.replace("| `07.ipynb` | d2l", "| `99-nothing.ipynb` | d2l"),
      new Map([["07.ipynb", full]]),
      /introduced in "99-nothing\.ipynb", which is not a notebook of the course/,
    ],
    [
      "two Korean terms for one idea",
      GLOSSARY_TEXT + "\n| 은닉 스테이트 | hidden state | `07.ipynb` | 일반 용법 |",
      new Map([["07.ipynb", full]]),
      /the English term "hidden state" is listed already/,
    ],
    ["not translated yet", GLOSSARY_TEXT, new Map(), /"펼침" is introduced in ko\/07\.ipynb, which does not exist yet/],
    [
      "one of two forms missing",
      GLOSSARY_TEXT + "\n| 펼침 / 접힘 (folding) | unrolled / rolled up | `07.ipynb` | the slides |",
      new Map([["07.ipynb", full]]),
      /the slides' term "접힘" does not appear in ko\/07\.ipynb/,
    ],
  ];
  for (const [what, text, korean, want] of cases) {
    const problems = glossaryProblems(readGlossary(text), ["07.ipynb"], korean);
    assert.ok(
      problems.some((p) => want.test(p)),
      `${what}: expected ${want}, got ${JSON.stringify(problems)}`,
    );
  }
});

test("scripts/ko-edition.ts carries a code change from English into Korean, sets the kernelspec, and --check only reports", () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, "ko"));
  const en = english() as any;
  const ko = korean() as any;
  ko.metadata.kernelspec = { ...KERNELSPEC_METADATA.en };
  en.cells[3].source = 'lm.score("the cat sat")';
  en.cells[3].metadata = { nbgrader: { grade_id: "07-x" } };
  ko.cells[3].outputs = [{ output_type: "stream", name: "stdout", text: "old" }];
  writeFileSync(path.join(dir, "07.ipynb"), JSON.stringify(en));
  writeFileSync(path.join(dir, "ko", "07.ipynb"), JSON.stringify(ko));
  // One whose cells no longer match: named, left alone. One with no translation: named.
  const broken = korean() as any;
  broken.cells.pop();
  writeFileSync(path.join(dir, "08.ipynb"), JSON.stringify(english()));
  writeFileSync(path.join(dir, "ko", "08.ipynb"), JSON.stringify(broken));
  writeFileSync(path.join(dir, "09.ipynb"), JSON.stringify(english()));
  const script = path.join(ROOT, "dist", "scripts", "ko-edition.js");
  const before = readFileSync(path.join(dir, "ko", "07.ipynb"), "utf8");

  const check = spawnSync(process.execPath, [script, "--check", dir], { encoding: "utf8" });
  assert.equal(check.status, 1, check.stdout + check.stderr);
  assert.match(check.stdout, /ko\/07\.ipynb: would take code cell 4 from the English edition; kernelspec seqlab-ko/);
  assert.match(check.stdout, /ko\/08\.ipynb: 3 cells, the English edition has 4.*not carried over/);
  assert.match(check.stdout, /ko\/09\.ipynb: missing/);
  assert.equal(readFileSync(path.join(dir, "ko", "07.ipynb"), "utf8"), before, "--check wrote nothing");

  const run = spawnSync(process.execPath, [script, dir], { encoding: "utf8" });
  assert.equal(run.status, 1, "the unmatched notebook is still to fix");
  assert.match(run.stdout, /ko\/07\.ipynb: took code cell 4 from the English edition; kernelspec seqlab-ko/);
  const after = readNotebook(path.join(dir, "ko", "07.ipynb")) as any;
  assert.deepEqual(editionProblems(en, after, "07.ipynb"), []);
  assert.deepEqual(after.cells[3].outputs, []);
  assert.equal(after.cells[0].source, ko.cells[0].source, "markdown untouched");
  assert.deepEqual(after.metadata.kernelspec, KERNELSPEC_METADATA.ko);
  assert.equal(readFileSync(path.join(dir, "ko", "08.ipynb"), "utf8"), JSON.stringify(broken), "the unmatched notebook is left alone");
  // Nothing left to carry for 07: a second run does not name it.
  const again = spawnSync(process.execPath, [script, dir], { encoding: "utf8" });
  assert.doesNotMatch(again.stdout, /ko\/07/);
  assert.deepEqual(copyCodeCells(en, after, "07.ipynb").copied, []);
});

// ---- the course ---------------------------------------------------------------------------------

const NOTEBOOKS = path.join(ROOT, "notebooks");
const course = readdirSync(NOTEBOOKS)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();
const koreanOf = (name: string) => koreanPath(path.join(NOTEBOOKS, name));

for (const name of course) {
  test(`ko/${name}: exists, with the English edition's cells and code, the Korean kernelspec and mostly Hangul`, () => {
    const file = koreanOf(name);
    // Not skipped while a translation is missing: the Korean edition is part of the course.
    assert.ok(existsSync(file), `no Korean edition of ${name}: write notebooks/ko/${name} (issue 15)`);
    const en = readNotebook(path.join(NOTEBOOKS, name));
    const ko = readNotebook(file);
    assert.deepEqual(editionProblems(en, ko, name), []);
    assert.deepEqual(ko.metadata.kernelspec, KERNELSPEC_METADATA.ko, `ko/${name}'s kernelspec: run node dist/scripts/ko-edition.js`);
    const share = hangulShare(ko);
    assert.ok(
      share >= MIN_HANGUL,
      `ko/${name}: Hangul is ${(100 * share).toFixed(1)}% of the letters of its markdown prose; at least ${100 * MIN_HANGUL}%`,
    );
    assert.deepEqual(structureProblems(ko, file, course), []);
  });
}

test("the Korean edition has no notebook the English one lacks", () => {
  const dir = path.join(NOTEBOOKS, "ko");
  const extra = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".ipynb") && !course.includes(f)) : [];
  assert.deepEqual(extra, []);
});

test("the glossary lists the slides' terms, each in the Korean notebook that introduces it", () => {
  const file = path.join(NOTEBOOKS, "ko", GLOSSARY);
  const entries = readGlossary(readFileSync(file, "utf8"));
  assert.ok(entries.length >= SLIDES_TERMS.length);
  const korean = new Map(course.filter((n) => existsSync(koreanOf(n))).map((n) => [n, readNotebook(koreanOf(n))] as const));
  assert.deepEqual(glossaryProblems(entries, course, korean), []);
});
