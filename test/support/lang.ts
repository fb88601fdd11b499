// Tests that read the learner's language: run a piece of code under a given SEQLAB_LANG.

/**
 * Run `f` with SEQLAB_LANG set to `l` (undefined: unset), restoring it afterwards (after the
 * promise settles when `f` returns one).
 */
export function inLanguage<T>(l: string | undefined, f: () => T): T {
  const before = process.env.SEQLAB_LANG;
  const restore = () => {
    if (before === undefined) delete process.env.SEQLAB_LANG;
    else process.env.SEQLAB_LANG = before;
  };
  if (l === undefined) delete process.env.SEQLAB_LANG;
  else process.env.SEQLAB_LANG = l;
  let result: T;
  try {
    result = f();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
