// `seqlab run --trust`: the notebook it writes is signed the way `jupyter trust` signs, checked
// with Jupyter's own notary (nbformat.sign) in a private Jupyter data folder; without a signer,
// the run says so, names the file, and still writes the notebook.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { CLI, tempDir } from "../support/tools";
import { code, notebook, plotlyOutput, writeNotebook } from "../browser/fixtures";

/** A python with Jupyter's notary, or undefined. */
const python = [process.env.SEQLAB_PYTHON, "/usr/bin/python3", "python3"].find(
  (py) => py && spawnSync(py, ["-c", "import nbformat.sign"], { stdio: "ignore" }).status === 0,
);

/** nbformat's verdict on a notebook file, with the secret and database in `dataDir`. */
function isTrusted(file: string, dataDir: string): boolean {
  const r = spawnSync(
    python!,
    [
      "-c",
      "import sys, nbformat; from nbformat.sign import NotebookNotary; nb = nbformat.read(sys.argv[1], 4); print(NotebookNotary().check_signature(nb))",
      file,
    ],
    { encoding: "utf8", env: { ...process.env, JUPYTER_DATA_DIR: dataDir } },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() === "True";
}

test(
  "run --trust signs the notebook it writes (Jupyter's notary says trusted); without it, not",
  { skip: !python && "no python3 with nbformat (Jupyter's notary) to check signatures" },
  () => {
    const dir = tempDir();
    const data = path.join(dir, "jupyter-data");
    const env = { ...process.env, JUPYTER_DATA_DIR: data };
    const file = writeNotebook(dir, "figure.ipynb", notebook([code("1 + 1", [plotlyOutput()], 1)]));
    const plain = spawnSync(process.execPath, [CLI, "run", file], { encoding: "utf8", env });
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(isTrusted(file, data), false, "an unsigned run is not trusted");
    const signed = spawnSync(process.execPath, [CLI, "run", file, "--trust"], { encoding: "utf8", env });
    assert.equal(signed.status, 0, signed.stderr);
    assert.match(signed.stderr, /figure\.ipynb: signed .*figure\.ipynb \((jupyter trust|.* -m nbformat\.sign)\)/);
    assert.ok(existsSync(path.join(data, "nbsignatures.db")), "the signature is in Jupyter's database");
    assert.ok(existsSync(path.join(data, "notebook_secret")), "with Jupyter's secret");
    assert.equal(isTrusted(file, data), true, "nbformat's notary trusts the signed notebook");
    // the signature covers the content: a changed notebook is not trusted
    const nb = JSON.parse(readFileSync(file, "utf8"));
    nb.cells[0].outputs[0].data["text/plain"] = ["changed"];
    writeNotebook(dir, "figure.ipynb", nb);
    assert.equal(isTrusted(file, data), false, "a changed notebook is no longer trusted");
  },
);

test("run --trust without a notary says so, names the file, and still writes the notebook", () => {
  const dir = tempDir();
  const file = writeNotebook(dir, "nb.ipynb", notebook([code("40 + 2")]));
  const r = spawnSync(process.execPath, [CLI, "run", file, "--trust"], {
    encoding: "utf8",
    env: { ...process.env, SEQLAB_PYTHON: path.join(dir, "no-python") },
  });
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `cannot sign ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: SEQLAB_PYTHON=.*no-python cannot import nbformat \\(Jupyter's notary\\); .*nb\\.ipynb was written but not signed, so Jupyter opens it untrusted`,
    ),
  );
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")).cells[0].outputs[0].data["text/plain"], ["42"]);
});
