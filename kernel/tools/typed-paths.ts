// Paths as the user typed them. A path given on the command line or in SEQLAB_DATA means what it
// means in the folder where the command was typed, so it is made absolute there, before any
// kernel starts (a kernel's working folder is its notebook's folder, where a relative path would
// point somewhere else).
//
// That folder is the working folder, except under `npm start`: npm runs this package's start
// script in the package's root, wherever it was typed, and says where in INIT_CWD. Only then is
// INIT_CWD used: the variable is inherited by every process npm starts, so elsewhere (a test
// spawned with its own working folder, a kernel) it would name the wrong folder.
import { realpathSync } from "fs";
import * as path from "path";

/** This package's root (dist/kernel/tools/../../..). */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..", "..");

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** The folder where the command was typed. */
export function typedCwd(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const npmStart = env.npm_lifecycle_event === "start" && !!env.INIT_CWD && samePath(cwd, PACKAGE_ROOT);
  return npmStart ? path.resolve(env.INIT_CWD!) : cwd;
}

/** A path the user typed, made absolute against the folder where it was typed. */
export function typedPath(p: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return path.resolve(typedCwd(env, cwd), p);
}

/**
 * Make a relative SEQLAB_DATA absolute (in `env`, which kernels started from here inherit), so
 * that every kernel reads the folder the user meant. Returns the absolute folder, or undefined
 * when SEQLAB_DATA is not set.
 */
export function absoluteDataEnv(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string | undefined {
  const set = env.SEQLAB_DATA;
  if (!set || !set.trim()) return undefined;
  env.SEQLAB_DATA = typedPath(set, env, cwd);
  return env.SEQLAB_DATA;
}
