// is_complete_request: is this code a whole cell, the start of one (an open bracket, block,
// template literal or comment, a dangling operator), or an error no more typing can fix?
import type * as TS from "typescript";

export type Completeness = { status: "complete" | "invalid" } | { status: "incomplete"; indent: string };

export function isComplete(ts: typeof TS, code: string): Completeness {
  // Two blank lines at the end force execution, as in IPython.
  if (/\n\s*\n\s*\n\s*$/.test(code)) return { status: "complete" };
  const sf = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diags: readonly TS.Diagnostic[] = (sf as any).parseDiagnostics ?? [];
  if (diags.length === 0) return { status: "complete" };
  const end = code.length;
  const unfinished = diags.every((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    return d.start === end && (text.endsWith(" expected.") || text === "Unterminated template literal.");
  });
  return unfinished ? { status: "incomplete", indent: indentAfter(code) } : { status: "invalid" };
}

function indentAfter(code: string): string {
  const last = code.slice(code.lastIndexOf("\n") + 1);
  const current = /^\s*/.exec(last)![0];
  return /[{([]\s*$/.test(last) ? current + "  " : current;
}
