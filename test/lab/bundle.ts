// Builds the JupyterLab renderer page (test/lab/page/page.js) with esbuild when the suite runs:
// the bundle is never committed, and it always holds the @jupyterlab packages installed now.
import { existsSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { ROOT } from "../support/tools";

export interface LabPage {
  /** Folder with index.html, page.js, page.css and any files they load. */
  dir: string;
  /** Versions of the packages bundled, for the test log. */
  versions: Record<string, string>;
}

const PACKAGES = ["@jupyterlab/rendermime", "@jupyterlab/outputarea", "@jupyterlab/vega5-extension", "vega", "vega-lite", "vega-embed"];

function version(name: string): string {
  // vega and friends: the copies the vega5 extension resolves (the project's own are v6). Some
  // packages' exports maps hide package.json, so look for it beside the node_modules folders.
  for (const dir of [path.join(ROOT, "node_modules", "@jupyterlab", "vega5-extension", "node_modules"), path.join(ROOT, "node_modules")]) {
    const file = path.join(dir, name, "package.json");
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")).version;
  }
  return "?";
}

export async function buildLabPage(dir: string): Promise<LabPage> {
  const esbuild = require("esbuild") as typeof import("esbuild");
  await esbuild.build({
    entryPoints: [path.join(ROOT, "test", "lab", "page", "page.js")],
    bundle: true,
    outdir: dir,
    format: "iife",
    platform: "browser",
    // JupyterLab's CSS refers to icons and fonts; webpack inlines or copies them, so does this.
    loader: { ".svg": "dataurl", ".png": "dataurl", ".gif": "dataurl", ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file" },
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>JupyterLab outputs</title>` +
      `<link rel="stylesheet" href="page.css"></head>` +
      // JupyterLab's body: the light theme's variables apply, content in the theme's fonts
      `<body class="jp-ThemedContainer" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light" style="font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1); width: 1100px">` +
      `<script src="page.js"></script></body></html>\n`,
  );
  return { dir, versions: Object.fromEntries(PACKAGES.map((p) => [p, version(p)])) };
}
