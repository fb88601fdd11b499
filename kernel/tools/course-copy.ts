// `seqlab course [DIR]`: the course's notebooks copied into a folder of the student's own, to open
// in JupyterLab or the classic notebook (a JupyterHub runs it for every new user: deploy/jupyterhub).
//
// Run again (after an update of seqlab, or at every server start on a hub), it brings the copies
// up to date without ever overwriting a student's work: a manifest in DIR records the sha256 of
// each notebook as it was copied, and a notebook whose bytes no longer match it was changed by the
// student and is kept as it is. A notebook that is there but not in the manifest is kept too
// (someone else's file), unless it already equals the course's.
import { createHash } from "crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import * as path from "path";
import { writeFileAtomic } from "../server/atomic-write";

/** The course's own notebooks folder in this package (English; a `ko/` folder inside is the Korean edition). */
export const COURSE_NOTEBOOKS = path.resolve(__dirname, "..", "..", "..", "notebooks");
/** The manifest's name inside DIR. */
export const MANIFEST = ".seqlab-course.json";

interface Manifest {
  /** The seqlab version that last wrote DIR. */
  seqlab: string;
  /** Each notebook's path inside DIR (forward slashes) → sha256 of the bytes copied there. */
  files: Record<string, string>;
}

export interface CopyResult {
  dir: string;
  copied: string[];
  updated: string[];
  unchanged: string[];
  /** Kept because the student changed them (or they were not the course's): path and why. */
  refused: { file: string; why: string }[];
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/**
 * The course's notebooks, as paths inside the notebooks folder (forward slashes), found
 * recursively: the folder's own NN-*.ipynb in name order, then each subfolder's in name order
 * (`ko/`, the Korean edition, and any other edition or part added later). Hidden files and
 * folders (`.ipynb_checkpoints`) and files other than notebooks (timings.json) are left out.
 */
export function courseNotebooks(source = COURSE_NOTEBOOKS): string[] {
  const walk = (rel: string): string[] => {
    const entries = readdirSync(path.join(source, ...rel.split("/").filter(Boolean)), { withFileTypes: true })
      .filter((e) => !e.name.startsWith("."))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const inside = (name: string) => (rel ? `${rel}/${name}` : name);
    return [
      ...entries.filter((e) => e.isFile() && e.name.endsWith(".ipynb")).map((e) => inside(e.name)),
      ...entries.filter((e) => e.isDirectory()).flatMap((e) => walk(inside(e.name))),
    ];
  };
  return walk("");
}

function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  if (!existsSync(file)) return { seqlab: "", files: {} };
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(
      `${file} is not the course's manifest (expected JSON written by seqlab course: ${(e as Error).message}); move it away to copy the course again`,
    );
  }
  const files = (m as Manifest | null)?.files;
  if (typeof files !== "object" || files === null || Object.values(files).some((h) => typeof h !== "string")) {
    throw new Error(
      `${file} is not the course's manifest (expected {"seqlab": VERSION, "files": {NOTEBOOK: SHA256}}); move it away to copy the course again`,
    );
  }
  return m as Manifest;
}

/** Copy the course into `dir` (created if needed). Throws, naming the file, when something cannot be read or written. */
export function copyCourse(dir: string, source = COURSE_NOTEBOOKS): CopyResult {
  dir = path.resolve(dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir} is a file; expected a folder for the course's notebooks`);
  const manifest = readManifest(dir);
  const result: CopyResult = { dir, copied: [], updated: [], unchanged: [], refused: [] };
  const files: Record<string, string> = { ...manifest.files };
  for (const rel of courseNotebooks(source)) {
    const from = path.join(source, ...rel.split("/"));
    const to = path.join(dir, ...rel.split("/"));
    let bytes: Buffer;
    try {
      bytes = readFileSync(from);
    } catch (e) {
      throw new Error(`could not read the course's notebook ${from}: ${(e as Error).message}`);
    }
    const wanted = sha256(bytes);
    let there: Buffer | undefined;
    try {
      there = readFileSync(to);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EISDIR") {
        result.refused.push({ file: to, why: "a folder has the notebook's name" });
        continue;
      }
      if (code !== "ENOENT") throw new Error(`could not read ${to} to compare it with the course's copy: ${(e as Error).message}`);
    }
    if (there === undefined) {
      writeFileAtomic(to, bytes.toString("utf8"), "notebook");
      files[rel] = wanted;
      result.copied.push(rel);
      continue;
    }
    const current = sha256(there);
    if (current === wanted) {
      files[rel] = wanted;
      result.unchanged.push(rel);
    } else if (manifest.files[rel] === current) {
      // As copied before and not touched since: the course's newer version replaces it.
      writeFileAtomic(to, bytes.toString("utf8"), "notebook");
      files[rel] = wanted;
      result.updated.push(rel);
    } else {
      result.refused.push({
        file: to,
        why: manifest.files[rel] ? "you changed it since it was copied" : `it was not copied by seqlab course (no record in ${MANIFEST})`,
      });
    }
  }
  const version: string = require("../../../package.json").version;
  writeFileAtomic(path.join(dir, MANIFEST), JSON.stringify({ seqlab: version, files }, null, 1) + "\n", "course manifest");
  return result;
}

/** What `seqlab course` prints. */
export function describeCopy(r: CopyResult): string {
  const lines = [
    `seqlab course: ${r.dir}: ${r.copied.length} copied, ${r.updated.length} updated, ${r.unchanged.length} already up to date, ${r.refused.length} kept as they are`,
  ];
  for (const { file, why } of r.refused)
    lines.push(
      `  kept ${file}: ${why}; the course's version was not copied over it (rename it and run seqlab course again to get the course's)`,
    );
  lines.push(
    `Open it: jupyter lab ${r.dir}   (or: jupyter notebook ${r.dir}); the kernel is "TypeScript (seqlab)" (seqlab install --user)`,
  );
  return lines.join("\n");
}
