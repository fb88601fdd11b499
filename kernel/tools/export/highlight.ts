// Syntax highlighting at export time (highlight.js), for code cells and fenced code in markdown.
import hljs from "highlight.js/lib/core";
import { escapeHtml } from "./common";

const languages: Record<string, string[]> = {
  typescript: ["ts", "tsx"],
  javascript: ["js", "jsx", "mjs", "cjs"],
  json: [],
  bash: ["sh", "shell", "console"],
  python: ["py"],
  xml: ["html", "svg"],
  css: [],
  markdown: ["md"],
};
for (const [name, aliases] of Object.entries(languages)) {
  hljs.registerLanguage(name, require(`highlight.js/lib/languages/${name}`));
  hljs.registerAliases(aliases, { languageName: name });
}

/** Highlighted HTML for code; unknown languages come back escaped, unhighlighted. */
export function highlight(code: string, language: string): string {
  const lang = language.trim().toLowerCase();
  if (!lang || !hljs.getLanguage(lang)) return escapeHtml(code);
  return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
}
