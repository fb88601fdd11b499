// image(): ImageModel of @jupyter-widgets/controls 2.0: an image whose bytes travel as a binary
// buffer (no base64 on the wire). Its display bundle carries the PNG too, for front ends
// without widgets.
import { oneOf, show, text } from "./common";
import { BoxStyling, styling } from "./layout";
import { CONTROLS } from "./protocol";
import { ValueWidget } from "./widget";

const FORMATS = ["png", "jpeg", "gif", "svg+xml", "webp"] as const;

/** Image bytes, or anything that has its PNG under `png` (seqlab's Picture, a diagram). */
export type ImageSource = Uint8Array | { png: Uint8Array };

export interface ImageOptions extends BoxStyling {
  value?: ImageSource;
  format?: (typeof FORMATS)[number];
  /** CSS width/height, e.g. "320px" or "100%". */
  width?: string;
  height?: string;
}

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v && typeof v === "object" && (v as any).png instanceof Uint8Array) return (v as any).png;
  throw new TypeError(`image: value must be image bytes (a Uint8Array or Buffer) or a picture with a png; got ${show(v)}`);
}

export class Image extends ValueWidget<Uint8Array> {
  constructor(opts: ImageOptions = {}) {
    super(
      { model: { ...CONTROLS, name: "ImageModel" }, view: { ...CONTROLS, name: "ImageView" } },
      {
        value: opts.value === undefined ? new Uint8Array(0) : toBytes(opts.value),
        format: oneOf("image", "format", opts.format ?? "png", FORMATS),
        width: text("image", "width", opts.width ?? ""),
        height: text("image", "height", opts.height ?? ""),
        ...styling(opts),
      },
    );
  }

  /** Replace the picture (bytes or a Picture). */
  show(v: ImageSource): void {
    this.set({ value: toBytes(v) });
  }

  protected check(name: string, v: unknown): unknown {
    return name === "value" ? toBytes(v) : v;
  }

  pngFallback(): string | undefined {
    const v = this.value;
    return this.state.format === "png" && v.byteLength ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") : undefined;
  }

  toString(): string {
    return `Image(${this.state.format}, ${this.value.byteLength} bytes)`;
  }
}

/** An image: `image({ value: picture.png, width: "320px" })`; change it with `.show(bytes)` or `.value = bytes`. */
export function image(opts: ImageOptions = {}): Image {
  return new Image(opts);
}
