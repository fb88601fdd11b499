// The course's conventions, checked on every notebook in notebooks/ (reading the .ipynb files):
// an opening with outcomes, prerequisites and times; at least three exercises, easy → hard, each
// with its nbgrader solution cell and self-check; a prose summary and references; short lines and
// short cells. The checker itself is tested first, on a notebook that follows the conventions and
// on one defect at a time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "fs";
import * as path from "path";
import { findExercises, readOpening, structureProblems } from "../../kernel/tools/course-structure";
import { Notebook, readNotebook } from "../../kernel/tools/notebook";
import { ROOT } from "../support/tools";
import { code, markdown, notebook } from "../browser/fixtures";

const OPENING = [
  "# 1. 순환과 펼침 (Recurrence and Unrolling)",
  "",
  "After this notebook you can",
  "",
  "- compute the hidden states $h_t$ of a tanh RNN by hand,",
  "- derive BPTT and",
  "  check it against autograd,",
  "- explain why gradients vanish.",
  "",
  "**Prerequisites:** 00-kernel-tour, 00-plots-and-display.ipynb",
  "",
  "**Time:** 5 s in quick mode, 10 s in full mode (2 cores).",
].join("\n");

const SUMMARY =
  "## Summary\n\n" +
  "A recurrent network applies one function at every step, and unrolled it is a deep network with shared weights. ".repeat(3);
const REFERENCES =
  "## References\n\n- Hochreiter & Schmidhuber (1997). Long short-term memory.\n- d2l.ai §9.5, §9.7 (RNNs from scratch, BPTT).";

function exercise(nn: string, k: number, level: string): any[] {
  return [
    markdown(`### Exercise ${Number(nn)}.${k} (${level}): twice\n\nWrite \`twice\`.`),
    {
      ...code(`function twice${k}(x: number): number {\n  // ### BEGIN SOLUTION\n  return 2 * x;\n  // ### END SOLUTION\n}`),
      metadata: { nbgrader: { schema_version: 3, grade: false, locked: false, solution: true, task: false, grade_id: `${nn}-ex-${k}` } },
    },
    {
      ...code(`await check("Exercise ${Number(nn)}.${k}", () => twice${k}(2), 4, { hint: { en: "double it", ko: "두 배" } });`),
      metadata: {
        nbgrader: {
          schema_version: 3,
          grade: true,
          locked: true,
          solution: false,
          task: false,
          points: 1,
          grade_id: `${nn}-ex-${k}-check`,
        },
      },
    },
  ];
}

const good = (): Notebook =>
  notebook([
    markdown(OPENING),
    code("const x = 1;"),
    ...exercise("01", 1, "easy"),
    ...exercise("01", 2, "medium"),
    ...exercise("01", 3, "hard"),
    markdown(SUMMARY),
    markdown(REFERENCES),
  ]) as any;
const FILE = "01-recurrence-and-unrolling.ipynb";
const COURSE = ["00-kernel-tour.ipynb", "00-plots-and-display.ipynb", FILE];
const problemsOf = (nb: Notebook) => structureProblems(nb, FILE, COURSE);

test("a notebook that follows the conventions has no problems, and its opening is read", () => {
  const nb = good();
  assert.deepEqual(problemsOf(nb), []);
  assert.deepEqual(readOpening(nb), {
    title: "1. 순환과 펼침 (Recurrence and Unrolling)",
    outcomes: ["compute the hidden states $h_t$ of a tanh RNN by hand,", "derive BPTT and", "explain why gradients vanish."],
    prerequisites: ["00-kernel-tour", "00-plots-and-display"],
    time: "5 s in quick mode, 10 s in full mode (2 cores).",
  });
  assert.deepEqual(
    findExercises(nb).map((e) => [e.id, e.level, e.title]),
    [
      ["1.1", "easy", "twice"],
      ["1.2", "medium", "twice"],
      ["1.3", "hard", "twice"],
    ],
  );
});

/** One defect at a time: each must be reported, with words that say which. */
test("each departure from the conventions is reported", () => {
  const cases: [string, (nb: any) => void, RegExp][] = [
    [
      "no outcomes",
      (nb) => (nb.cells[0].source = OPENING.replace("After this notebook you can", "In this notebook we")),
      /no "After this notebook you can"/,
    ],
    [
      "a vague outcome",
      (nb) => (nb.cells[0].source = OPENING.replace("- explain why", "- understand why")),
      /"understand why gradients vanish\." starts with a verb no one can check/,
    ],
    ["no prerequisites", (nb) => (nb.cells[0].source = OPENING.replace(/\*\*Prerequisites.*\n/, "")), /no "Prerequisites:" line/],
    [
      "an unknown prerequisite",
      (nb) => (nb.cells[0].source = OPENING.replace("00-kernel-tour", "00-kernel-tuor")),
      /prerequisite 00-kernel-tuor is not a notebook of the course/,
    ],
    [
      "no full time",
      (nb) => (nb.cells[0].source = OPENING.replace(", 10 s in full mode", "")),
      /"Time:" line should give the time in quick mode and in full mode/,
    ],
    ["two exercises", (nb) => nb.cells.splice(2, 3), /2 exercise\(s\); at least 3/],
    [
      "hard before medium",
      (nb) => (
        (nb.cells[5].source = nb.cells[5].source.replace("medium", "hard")),
        (nb.cells[8].source = nb.cells[8].source.replace("hard", "medium"))
      ),
      /Exercise 1\.3 .*"medium" after a harder exercise/,
    ],
    [
      "a level not known",
      (nb) => (nb.cells[2].source = nb.cells[2].source.replace("easy", "trivial")),
      /the level "trivial" is not one of easy, medium, hard/,
    ],
    ["misnumbered", (nb) => (nb.cells[5].source = nb.cells[5].source.replace("1.2", "2.2")), /Exercise 2\.2 .*should be numbered 1\.2/],
    [
      "solution metadata",
      (nb) => (nb.cells[3].metadata.nbgrader.grade_id = "ex1"),
      /solution cell \(cell 4\) needs the nbgrader metadata .*"grade_id": "01-ex-1"/,
    ],
    [
      "no markers",
      (nb) => (nb.cells[3].source = "function twice1(x: number): number {\n  return 2 * x;\n}"),
      /has no "\/\/ ### BEGIN SOLUTION"/,
    ],
    [
      "a solution at top level",
      (nb) => (nb.cells[3].source = "// ### BEGIN SOLUTION\nconst twice1 = (x: number) => 2 * x;\n// ### END SOLUTION"),
      /not inside a function body/,
    ],
    ["no self-check", (nb) => nb.cells.splice(4, 1), /Exercise 1\.1 .*should be its self-check, await check\("Exercise 1\.1"/],
    ["check metadata", (nb) => delete nb.cells[4].metadata.nbgrader.points, /self-check \(cell 5\) needs the nbgrader metadata/],
    [
      "an English-only hint",
      (nb) => (nb.cells[4].source = nb.cells[4].source.replace(/\{ en: "double it", ko: "두 배" \}/, '"double it"')),
      /hint should be bilingual/,
    ],
    ["no summary", (nb) => nb.cells.splice(11, 1), /no "## Summary" markdown cell/],
    ["a summary table", (nb) => (nb.cells[11].source = SUMMARY + "\n\n| a | b |\n|---|---|\n| 1 | 2 |"), /summary \(cell 12\) is a table/],
    ["a one-line summary", (nb) => (nb.cells[11].source = "## Summary\n\nRNNs recur."), /has 11 characters of prose/],
    // The word in a sentence (요약 in Korean prose) does not make a cell the summary; only a heading does.
    [
      "the word in prose",
      (nb) => ((nb.cells[2].source += "\n\n이 절을 요약하면 두 배입니다."), nb.cells.splice(11, 1)),
      /no "## Summary" markdown cell/,
    ],
    ["no references", (nb) => nb.cells.splice(12, 1), /no "## References" markdown cell/],
    [
      "references first",
      (nb) => nb.cells.splice(11, 0, nb.cells.splice(12, 1)[0]),
      /"## References" \(cell 12\) comes before "## Summary" \(cell 13\)/,
    ],
    ["uncited", (nb) => (nb.cells[12].source = "## References\n\n- A blog post."), /cite none of the course's works/],
    [
      "d2l without a section",
      (nb) => (nb.cells[12].source = REFERENCES.replace("§9.5, §9.7", "")),
      /d2l\.ai reference .* has no section number/,
    ],
    [
      "d2l without a section, a section in the next item",
      (nb) =>
        (nb.cells[12].source = REFERENCES.replace(
          "d2l.ai §9.5, §9.7 (RNNs from scratch, BPTT).",
          "d2l.ai,\n  the book.\n- Gers et al. (2000), §3.",
        )),
      /d2l\.ai reference "- d2l\.ai,\n  the book\." has no section number/,
    ],
    [
      "a marker in prose",
      (nb) => (nb.cells[2].source += "\n\nPut your answer after `// ### BEGIN SOLUTION`."),
      /cell 3 \(markdown\) writes a solution or hidden-test marker/,
    ],
    [
      "a placeholder in prose",
      (nb) => (nb.cells[11].source = SUMMARY + "\n\nPLACEHOLDER"),
      /cell 12 \(markdown\) says PLACEHOLDER: it is unfinished/,
    ],
    ["a placeholder as a whole cell", (nb) => (nb.cells[1] = markdown("PLACEHOLDER")), /cell 2 \(markdown\) says PLACEHOLDER/],
    [
      "a TODO in code",
      (nb) => (nb.cells[1].source = "const x = 1; // TODO: use the library"),
      /cell 2 \(code\) says TODO: it is unfinished/,
    ],
    [
      "a TODO in a solution",
      (nb) => (nb.cells[3].source = nb.cells[3].source.replace("return 2 * x;", "return 2 * x; // TODO")),
      /cell 4 \(code\) says TODO/,
    ],
    ["a long line", (nb) => (nb.cells[1].source = `const x = "${"가".repeat(95)}";`), /cell 2, line 1 has 108 characters \(at most 100\)/],
    [
      "a long cell",
      (nb) => (nb.cells[1].source = Array.from({ length: 31 }, (_, i) => `const v${i} = ${i};`).join("\n")),
      /cell 2 has 31 lines \(at most 30\)/,
    ],
  ];
  for (const [what, mutate, want] of cases) {
    const nb = good();
    mutate(nb);
    const problems = problemsOf(nb);
    assert.ok(
      problems.some((p) => want.test(p)),
      `${what}: expected ${want}, got ${JSON.stringify(problems, null, 1)}`,
    );
  }
  // 30 lines and a trailing newline, or a line of exactly 100 characters, are within the limits;
  // "todo" or "placeholders" as ordinary words are not the unfinished markers.
  const nb = good();
  nb.cells[0].source += "\n\nA to-do list, todo, placeholders and TODOs are ordinary words here.";
  nb.cells[1].source = Array.from({ length: 30 }, (_, i) => `const v${i} = ${i};\n`).join("");
  nb.cells.splice(2, 0, code(`const s = "${"x".repeat(87)}";`) as any);
  assert.deepEqual(problemsOf(nb), []);
});

// The course itself. Notebooks still being rewritten fail here until they follow the conventions.
const dir = path.join(ROOT, "notebooks");
const course = readdirSync(dir)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();
for (const f of course) {
  test(`${f} follows the course's conventions`, () => {
    const problems = structureProblems(readNotebook(path.join(dir, f)), f, course);
    assert.deepEqual(problems, [], `${problems.length} problem(s):\n${problems.join("\n")}`);
  });
}
