// Errors of widget callbacks: never thrown into the kernel's message loop (which would lose them
// in a log) but shown. Inside an Output widget's capture they become an error output there;
// otherwise the kernel publishes them as an error output of the current (or last) cell.
import { ErrorOutput, kernel } from "../display/bridge";
import { currentSink } from "../display/capture";

/** An error as an output: the kernel maps its stack to cell lines; without a kernel, the stack. */
export function errorOutput(e: unknown, context?: string): ErrorOutput {
  const k = kernel();
  let out: ErrorOutput;
  if (k?.formatError) out = k.formatError(e);
  else {
    const err = e instanceof Error ? e : new Error(String(e));
    out = { ename: err.name, evalue: err.message, traceback: (err.stack ?? `${err.name}: ${err.message}`).split("\n") };
  }
  if (context) out = { ...out, traceback: [`(in ${context})`, ...out.traceback] };
  return out;
}

/** Show an error of a callback where its output would have gone. */
export function reportError(e: unknown, context?: string): void {
  const content = errorOutput(e, context);
  const sink = currentSink();
  if (sink) return sink.error(content);
  const k = kernel();
  if (k?.error) return k.error(content);
  // No kernel (a script, a test): the terminal.
  process.stderr.write(content.traceback.join("\n") + "\n");
}

/** Call fn; an error it throws or a promise it returns that rejects is reported, never thrown. */
export function guard(fn: () => unknown, context?: string): void {
  try {
    const r = fn();
    if (r && typeof (r as any).then === "function") (r as Promise<unknown>).then(undefined, (e) => reportError(e, context));
  } catch (e) {
    reportError(e, context);
  }
}
