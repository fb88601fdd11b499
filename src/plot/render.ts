// SVG → PNG with resvg, synchronously, with seqlab's font files only; and Picture, the displayable
// result (image/png with its 1x size in metadata, and a short text/plain).
import { writeFileSync } from "fs";
import type { Resvg as ResvgClass } from "@resvg/resvg-js";
import { DISPLAY } from "../display/display";
import { DEFAULT_FONT, FONT_FILES } from "./fonts";

export interface Rendered {
  png: Buffer;
  /** Size at 1x (CSS pixels); the PNG itself is `scale` times larger. */
  width: number;
  height: number;
  scale: number;
}

export interface RenderOptions {
  /** Pixel density of the PNG (default 2: sharp on high-DPI screens, shown at 1x size). */
  scale?: number;
  background?: string;
  /** Font files (default FONT_FILES). */
  fonts?: readonly string[];
}

let resvg: typeof ResvgClass | undefined;

/** Render an SVG document to PNG. Synchronous (20-80 ms for a chart). */
export function svgToPng(svg: string, opts: RenderOptions = {}): Rendered {
  const scale = opts.scale ?? 2;
  resvg ??= (require("@resvg/resvg-js") as typeof import("@resvg/resvg-js")).Resvg; // native binding, loaded on first use
  const r = new resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: opts.background ?? "white",
    font: {
      fontFiles: [...(opts.fonts ?? FONT_FILES)],
      loadSystemFonts: false,
      defaultFontFamily: DEFAULT_FONT,
      sansSerifFamily: DEFAULT_FONT,
    },
    logLevel: "off",
  });
  const width = r.width,
    height = r.height;
  const png = r.render().asPng();
  return { png, width: Math.round(width), height: Math.round(height), scale };
}

export type DisplayBundle = { data: Record<string, unknown>; metadata: Record<string, unknown> };

/** A rendered picture: shows as a PNG at its 1x size. */
export class Picture {
  constructor(
    readonly png: Buffer,
    readonly width: number,
    readonly height: number,
    readonly text: string,
  ) {}

  static fromSvg(svg: string, text: string, opts: RenderOptions = {}): Picture {
    const r = svgToPng(svg, opts);
    return new Picture(r.png, r.width, r.height, text);
  }

  bundle(): DisplayBundle {
    return {
      data: { "image/png": this.png.toString("base64"), "text/plain": this.text },
      metadata: { "image/png": { width: this.width, height: this.height } },
    };
  }

  [DISPLAY](): DisplayBundle {
    return this.bundle();
  }

  /** Write the PNG to a file. */
  save(file: string): void {
    writeFileSync(file, this.png);
  }

  toString(): string {
    return this.text;
  }
}

/** Escape text for SVG/HTML. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
