// Load a large CommonJS file (TypeScript's compiler, 8 MB) with a V8 code cache, so a kernel
// does not parse and compile it from scratch at every start. Node 20 has no built-in compile
// cache for require(); this does what it would, for one file. The cache is keyed by the file's
// size and mtime and by Node's version, and written atomically once the kernel is warm (so it
// holds the functions start-up needed, not just the top level).
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "fs";
import Module from "module";
import * as os from "os";
import * as path from "path";
import * as vm from "vm";

export interface Cached {
  exports: any;
  /** Write the cache if it was missing or rejected; call once the code has run its start-up. */
  save(): void;
}

/** How many caches of one file (from different installs) are kept. */
const KEEP_CACHES = 3;

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "seqlab", "v8");
}

export function requireWithCodeCache(file: string): Cached {
  const st = statSync(file);
  const key = `${path.basename(file)}-${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}.bin`;
  const cacheFile = path.join(cacheDir(), key);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // no cache yet
  }
  const source = readFileSync(file, "utf8");
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = (Module as any)._nodeModulePaths(path.dirname(file));
  const fn = script.runInThisContext();
  fn.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  require.cache[file] = mod;
  const stale = !cachedData || script.cachedDataRejected === true;
  return {
    exports: mod.exports,
    save() {
      if (!stale) return;
      try {
        mkdirSync(cacheDir(), { recursive: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
        // Every `npm ci` gives the file a new mtime, so a new cache: keep the newest few (two
        // installs used in turn keep theirs) and remove the rest.
        const prefix = `${path.basename(file)}-`;
        const old = readdirSync(cacheDir())
          .filter((f) => f.startsWith(prefix) && f.endsWith(".bin"))
          .map((f) => ({ f, t: statSync(path.join(cacheDir(), f)).mtimeMs }))
          .sort((a, b) => b.t - a.t)
          .slice(KEEP_CACHES);
        for (const { f } of old) if (f !== key) rmSync(path.join(cacheDir(), f), { force: true });
      } catch {
        // A cache is an optimisation; a read-only home folder just means no cache.
      }
    },
  };
}
