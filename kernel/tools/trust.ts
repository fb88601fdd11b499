// `seqlab run --trust`: sign a notebook the way `jupyter trust` does, so JupyterLab and the
// classic notebook open it trusted (plotly figures and HTML outputs shown).
//
// Signing is left to Jupyter's own notary (nbformat.sign): it is `jupyter trust`, and it reads the
// user's Jupyter configuration (where the secret and the signature database are, which hash) the
// way the Jupyter server that opens the notebook will; its signatures live in an SQLite database,
// which Node 20 cannot write without a native or wasm dependency. Debian packages nbformat without
// the `jupyter-trust` command, so `python3 -m nbformat.sign` (the same program) is the fallback.
import { spawnSync } from "child_process";
import { accessSync, constants } from "fs";
import * as path from "path";

/** A command that signs notebooks: argv before the file name. */
export interface Signer {
  argv: string[];
  /** How it was found, for messages. */
  label: string;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

const hasNbformat = (py: string, env: NodeJS.ProcessEnv) =>
  spawnSync(py, ["-c", "import nbformat.sign"], { env, stdio: "ignore" }).status === 0;

/** The signer to use, or an Error saying what was looked for. SEQLAB_PYTHON, when set, is the
 * only python tried; else `jupyter trust`, then python3 on PATH, then /usr/bin/python3. */
export function findSigner(env: NodeJS.ProcessEnv = process.env): Signer | Error {
  if (env.SEQLAB_PYTHON) {
    if (hasNbformat(env.SEQLAB_PYTHON, env))
      return { argv: [env.SEQLAB_PYTHON, "-m", "nbformat.sign"], label: `${env.SEQLAB_PYTHON} -m nbformat.sign` };
    return new Error(`SEQLAB_PYTHON=${env.SEQLAB_PYTHON} cannot import nbformat (Jupyter's notary)`);
  }
  const jupyterTrust = onPath("jupyter-trust", env);
  if (jupyterTrust) return { argv: [jupyterTrust], label: "jupyter trust" };
  for (const py of [onPath("python3", env), "/usr/bin/python3"]) {
    if (py && hasNbformat(py, env)) return { argv: [py, "-m", "nbformat.sign"], label: `${py} -m nbformat.sign` };
  }
  return new Error("neither `jupyter trust` (jupyter-trust on PATH) nor a python3 with nbformat (Jupyter's notary) was found");
}

/** Sign `file` (store its signature in Jupyter's database); throws naming the file and the cause. */
export function signNotebook(file: string, env: NodeJS.ProcessEnv = process.env): Signer {
  const signer = findSigner(env);
  const unsigned = `${file} was written but not signed, so Jupyter opens it untrusted`;
  if (signer instanceof Error) {
    throw new Error(
      `cannot sign ${file}: ${signer.message}; ${unsigned}. Install Jupyter (pip install nbformat, or apt install python3-nbformat), ` +
        `set SEQLAB_PYTHON to a python that has nbformat, or run \`jupyter trust ${file}\` yourself`,
    );
  }
  const r = spawnSync(signer.argv[0], [...signer.argv.slice(1), file], { env, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) {
    const said = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n").slice(-3).join(" / ");
    throw new Error(
      `cannot sign ${file}: ${signer.label} failed (${r.error?.message ?? `exit status ${r.status}`})${said ? `: ${said}` : ""}; ${unsigned}`,
    );
  }
  return signer;
}
