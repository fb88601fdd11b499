// TensorFlow.js is loaded when seqlab first uses it, not when a notebook imports seqlab.
//
// Why: `import ... from "seqlab"` is in nearly every notebook's first cell, also in those that only
// display things (00-kernel-tour). Loading @tensorflow/tfjs (core, layers, converter, data, the cpu
// and webgl backends) costs about 30 MB and 0.1-0.2 s in plain node (`require` of the library: 52 MB
// and 150 ms RSS with the stand-in, 83 MB and 270-330 ms without), so a class of idle kernels paid
// for it whether or not a tensor was ever made.
//
// How, without changing a line of the library or its types: the library's modules keep
// `import * as tf from "@tensorflow/tfjs"` (and the index its `export * as tf`), which TypeScript
// compiles to `require("@tensorflow/tfjs")` run at import. Those requires, and only those made by
// this package's own compiled modules, are answered with a stand-in that loads the real module on
// the first access to any of its members and from then on forwards everything to it. Code that
// uses `tf.something` inside functions (nearly all of it) therefore loads tfjs when it first runs.
// A cell's own `import * as tf from "@tensorflow/tfjs"` gets the real module, the same instance.
import Module from "module";
import * as path from "path";

/** Packages whose require() from seqlab's own modules is deferred to first use. */
const DEFERRED = new Set(["@tensorflow/tfjs"]);
/** The compiled library (dist/src): the only requirers that get a stand-in. */
const OWN = __dirname + path.sep;

const standIns = new Map<string, object>();

/** A stand-in for module `id`: loads it on first use, then behaves as it (members, keys, `in`). */
function standIn(id: string, parent: NodeModule): object {
  let real: Record<PropertyKey, unknown> | undefined;
  // The target mirrors the real module's members once it is loaded, so that the Proxy's invariants
  // (non-configurable properties must exist on the target) hold for Object.keys and descriptors.
  const target: Record<PropertyKey, unknown> = Object.create(null);
  const load = (): Record<PropertyKey, unknown> => {
    if (real) return real;
    const loaded = originalLoad(id, parent, false) as Record<PropertyKey, unknown>;
    real = loaded;
    for (const key of Reflect.ownKeys(loaded)) {
      Object.defineProperty(target, key, {
        enumerable: Object.getOwnPropertyDescriptor(loaded, key)?.enumerable ?? true,
        configurable: false,
        get: () => loaded[key],
      });
    }
    return loaded;
  };
  return new Proxy(target, {
    get(_t, key) {
      // TypeScript's __importStar asks this first: answering it keeps the import from loading.
      if (key === "__esModule") return true;
      return load()[key];
    },
    set(_t, key, value) {
      load()[key] = value;
      return true;
    },
    has(_t, key) {
      return key in load();
    },
    ownKeys(t) {
      load();
      return Reflect.ownKeys(t);
    },
    getOwnPropertyDescriptor(t, key) {
      load();
      return Reflect.getOwnPropertyDescriptor(t, key);
    },
    getPrototypeOf() {
      return Object.getPrototypeOf(load());
    },
  });
}

type Load = (request: string, parent: NodeModule | undefined, isMain: boolean) => unknown;
const M = Module as unknown as { _load: Load & { __seqlabOriginal?: Load } };
/** Node's own loader (also when this file is loaded twice, e.g. from two copies of the package). */
const originalLoad: Load = M._load.__seqlabOriginal ?? M._load.bind(Module);
if (!M._load.__seqlabOriginal) {
  const original = M._load;
  const deferred = function (this: unknown, request: string, parent: NodeModule | undefined, isMain: boolean) {
    if (DEFERRED.has(request) && parent?.filename?.startsWith(OWN) && !require.cache[safeResolve(request, parent)]) {
      let s = standIns.get(request);
      if (!s) standIns.set(request, (s = standIn(request, parent)));
      return s;
    }
    return original.call(this, request, parent, isMain);
  };
  M._load = Object.assign(deferred, { __seqlabOriginal: originalLoad });
}

function safeResolve(request: string, parent: NodeModule): string {
  try {
    return (Module as unknown as { _resolveFilename(r: string, p: NodeModule, isMain: boolean): string })._resolveFilename(
      request,
      parent,
      false,
    );
  } catch {
    return request;
  }
}
