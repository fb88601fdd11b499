// vega and vega-lite are ESM-only with top-level await: require() fails on them
// (ERR_REQUIRE_ASYNC_MODULE), and TypeScript compiles `import()` to require() under commonjs. So
// this module keeps a real dynamic import out of TypeScript's sight and loads each package once.
import { pathToFileURL } from "url";
import { installTextMetrics } from "./fonts";

// A real dynamic import(), which tsc would turn into require() for CommonJS: vega-lite is an ES module.
const realImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;

/** Import an ESM package by absolute file URL (so it resolves from this package, whatever the cwd). */
export function importEsm(name: string): Promise<any> {
  let target = name;
  try {
    target = pathToFileURL(require.resolve(name)).href;
  } catch {
    // not resolvable by require (e.g. an import-only exports map): let import() resolve the name
  }
  return realImport(target);
}

export interface VegaModules {
  vega: any;
  vl: any;
}

let loading: Promise<VegaModules> | undefined;

/** vega and vega-lite, loaded once per process; vega measures text with seqlab's fonts. */
export function loadVega(): Promise<VegaModules> {
  loading ??= Promise.all([importEsm("vega"), importEsm("vega-lite")]).then(
    ([vega, vl]) => {
      installTextMetrics(vega);
      return { vega, vl };
    },
    (e) => {
      loading = undefined; // let a later call try again
      throw e;
    },
  );
  return loading;
}
