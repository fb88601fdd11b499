// Carry the English edition's code into the Korean edition, in one command:
//   node dist/scripts/ko-edition.js [--check] [NOTEBOOKS_DIR]
// For every notebooks/NAME.ipynb with a notebooks/ko/NAME.ipynb: each code cell of the Korean
// notebook that differs from the English one (source or metadata) is replaced by it (outputs
// cleared), and the Korean notebook's kernelspec is set to seqlab-ko (SEQLAB_LANG=ko). Markdown is
// never touched: a changed English markdown cell is the translators' to carry over. Notebooks whose
// cells do not match one to one (a cell added, dropped or moved) are named and left alone.
// --check only reports; it exits 1 when anything would change, cannot be matched or is missing.
import { existsSync, readdirSync } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../kernel/server/atomic-write";
import { copyCodeCells, koreanPath } from "../kernel/tools/course-editions";
import { readNotebook } from "../kernel/tools/notebook";

const args = process.argv.slice(2);
const check = args.includes("--check");
const dir = path.resolve(args.find((a) => !a.startsWith("--")) ?? path.join(__dirname, "..", "..", "notebooks"));
let trouble = 0;
let changed = 0;
for (const name of readdirSync(dir)
  .filter((f) => f.endsWith(".ipynb"))
  .sort()) {
  const en = path.join(dir, name);
  const ko = koreanPath(en);
  if (!existsSync(ko)) {
    console.log(`ko/${name}: missing (no Korean edition yet)`);
    if (check) trouble++;
    continue;
  }
  const r = copyCodeCells(readNotebook(en), readNotebook(ko), name);
  if (r.problems.length) {
    for (const p of r.problems) console.log(`${p}; not carried over (match the cells by hand first)`);
    trouble++;
    continue;
  }
  if (!r.copied.length && !r.kernelspecSet) continue;
  const what = [
    r.copied.length ? `code cell${r.copied.length === 1 ? "" : "s"} ${r.copied.join(", ")} from the English edition` : "",
    r.kernelspecSet ? "kernelspec seqlab-ko" : "",
  ]
    .filter(Boolean)
    .join("; ");
  changed++;
  if (check) {
    console.log(`ko/${name}: would take ${what}`);
    trouble++;
  } else {
    writeFileAtomic(ko, JSON.stringify(r.nb, null, 1) + "\n", "notebook");
    console.log(`ko/${name}: took ${what}`);
  }
}
console.log(
  check
    ? `${trouble ? `${trouble} Korean notebook(s) to fix` : "the Korean edition's code matches the English edition's"}`
    : `${changed} Korean notebook(s) updated${trouble ? `, ${trouble} left (see above)` : ""}`,
);
process.exit(trouble ? 1 : 0);
