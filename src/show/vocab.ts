// A vocabulary summary: size, token count, singletons, coverage of the most frequent types and
// a table of them. The input is structural: `{size, entries}` where entries are [token, count]
// pairs, as an array or a method returning an iterable, so a Map<string, number> qualifies and a
// Vocab class implements it with two members.
import { esc, HtmlView, int, textTable } from "./html";
import { tr } from "../lang";

export interface VocabLike {
  /** Number of types (distinct tokens). */
  readonly size: number;
  /** [token, count] pairs, in any order. */
  entries: ReadonlyArray<readonly [string, number]> | (() => Iterable<readonly [string, number]>);
}

export interface ShowVocabOptions {
  /** Most frequent types listed (default 20). */
  top?: number;
  title?: string;
}

/** Whitespace and control characters made visible: " " → ␣, "\n" → ⏎, "\t" → ⇥, "" → ∅. */
export function visibleToken(t: string): string {
  if (t === "") return "∅";
  return t
    .replace(/ /g, "␣")
    .replace(/\n/g, "⏎")
    .replace(/\t/g, "⇥")
    .replace(/\r/g, "␍")
    .replace(/[\u0000-\u001f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export function showVocab(vocab: VocabLike, opts: ShowVocabOptions = {}): HtmlView {
  const raw = typeof vocab.entries === "function" ? vocab.entries() : vocab.entries;
  if (!raw || typeof (raw as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function")
    throw new TypeError("showVocab: expected {size, entries: [token, count][] | () => Iterable<[token, count]>}");
  const entries = Array.from(raw as Iterable<readonly [string, number]>, ([t, c]) => [String(t), Number(c)] as const).sort(
    (a, b) => b[1] - a[1],
  );
  const total = entries.reduce((s, e) => s + (Number.isFinite(e[1]) ? e[1] : 0), 0);
  const singletons = entries.filter((e) => e[1] === 1).length;
  const top = Math.min(opts.top ?? 20, entries.length);
  const coverage = (k: number) => (total > 0 ? entries.slice(0, k).reduce((s, e) => s + e[1], 0) / total : 0);
  const ks = [10, 100, 1000, 10000].filter((k) => k < entries.length);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const summary =
    tr(`${int(vocab.size)} types, ${int(total)} tokens`, `타입 ${int(vocab.size)}개, 토큰 ${int(total)}개`) +
    (entries.length
      ? tr(
          `; ${int(singletons)} singletons (${pct(singletons / entries.length)} of types)`,
          `; 한 번만 나온 타입 ${int(singletons)}개 (타입의 ${pct(singletons / entries.length)})`,
        )
      : "") +
    (ks.length
      ? tr(
          `; top ${ks.map((k) => `${int(k)} cover ${pct(coverage(k))}`).join(", ")}`,
          `; 상위 ${ks.map((k) => `${int(k)}개가 ${pct(coverage(k))}`).join(", ")} 차지`,
        )
      : "");
  const more = tr(`… ${int(entries.length - top)} more types`, `… 타입 ${int(entries.length - top)}개 더`);
  const title = opts.title ?? tr("vocabulary", "어휘");
  const header = ["#", ...tr("token|count|share|cumulative", "토큰|빈도|비율|누적").split("|")];
  let cum = 0;
  const rows = entries.slice(0, top).map(([t, c], i) => {
    cum += c;
    return [i + 1, visibleToken(t), int(c), total ? pct(c / total) : "", total ? pct(cum / total) : ""];
  });
  const maxCount = entries.length ? entries[0][1] : 1;
  const td = (v: string | number, right = false) => `<td style="text-align:${right ? "right" : "left"};padding:1px 8px">${esc(v)}</td>`;
  const html =
    `<div style="font-size:12px;margin-bottom:4px"><b>${esc(title)}</b>: ${esc(summary)}</div>` +
    `<table style="border-collapse:collapse;font-size:12px"><thead><tr>` +
    [...header, ""].map((h) => `<th style="padding:1px 8px;text-align:left">${esc(h)}</th>`).join("") +
    `</tr></thead><tbody>` +
    rows
      .map(
        (r, i) =>
          `<tr>${td(r[0], true)}<td style="padding:1px 8px;font-family:monospace">${esc(r[1])}</td>${td(r[2], true)}${td(r[3], true)}${td(r[4], true)}` +
          `<td style="padding:1px 8px"><div style="background:#4c78a8;height:9px;width:${Math.max(1, Math.round((120 * entries[i][1]) / maxCount))}px"></div></td></tr>`,
      )
      .join("") +
    (entries.length > top ? `<tr><td></td><td colspan="5" style="padding:1px 8px;color:#777">${esc(more)}</td></tr>` : "") +
    `</tbody></table>`;
  const text = `${title}: ${summary}\n${textTable(header, rows, [0, 2, 3, 4])}${entries.length > top ? `\n${more}` : ""}`;
  return new HtmlView(html, text);
}
