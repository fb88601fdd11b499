// What the `hub` suite (and `npm run bench -- classroom`) needs: Debian's JupyterHub 3.0 with its
// configurable-http-proxy and notebook server, and the corpus mirror (notebook 03 reads The Time Machine).
import { spawnSync } from "child_process";
import { existsSync } from "fs";
import * as path from "path";
import { corpusMirror } from "../support/prereq";

export function hubMissing(): string | undefined {
  if (process.platform !== "linux") return "the classroom test reads /proc (Linux only)";
  if (!existsSync("/usr/bin/jupyterhub"))
    return "no Debian jupyterhub (apt-get install jupyterhub: JupyterHub 3.0 with node-configurable-http-proxy)";
  const r = spawnSync("/usr/bin/python3", ["-c", "import jupyterhub, notebook; print(jupyterhub.__version__)"], { encoding: "utf8" });
  if (r.status !== 0) return `/usr/bin/python3 cannot import jupyterhub and notebook: ${(r.stderr.trim().split("\n").pop() ?? "").trim()}`;
  if (!existsSync("/usr/bin/configurable-http-proxy")) return "no configurable-http-proxy (apt-get install node-configurable-http-proxy)";
  const mirror = corpusMirror();
  if (!mirror || !existsSync(path.join(mirror, "timemachine.txt")))
    return "no corpus mirror holding timemachine.txt (set SEQLAB_DATA to the offline mirror, e.g. ../shared/corpora)";
  return undefined;
}
