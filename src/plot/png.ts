// A minimal PNG encoder and decoder (RGBA, 8 bits per channel), synchronous, on Node's zlib.
// The encoder lets pictures be built without any renderer (tensor heatmaps); the decoder lets tests
// and callers count the ink in a rendered image.
import { deflateSync, inflateSync } from "zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** Encode RGBA pixels (width*height*4 bytes, row-major) as a PNG. */
export function encodePng(rgba: Uint8Array, width: number, height: number): Buffer {
  if (rgba.length !== width * height * 4) throw new Error(`encodePng: ${rgba.length} bytes for ${width}x${height} RGBA`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const raw = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (b.length < 24 || !b.subarray(0, 8).equals(SIGNATURE) || b.toString("latin1", 12, 16) !== "IHDR") throw new Error("not a PNG");
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decode an 8-bit, non-interlaced PNG (grey, grey+alpha, RGB, RGBA or palette) to RGBA pixels.
 * Enough for what resvg and encodePng write.
 */
export function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const { width, height } = pngSize(b);
  const depth = b[24],
    type = b[25],
    interlace = b[28];
  if (depth !== 8 || interlace !== 0)
    throw new Error(`decodePng: only 8-bit non-interlaced PNGs (got depth ${depth}, interlace ${interlace})`);
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[type];
  if (!channels) throw new Error(`decodePng: colour type ${type}`);
  const idat: Buffer[] = [];
  let palette: Buffer | undefined, trns: Buffer | undefined;
  for (let off = 8; off < b.length;) {
    const len = b.readUInt32BE(off),
      kind = b.toString("latin1", off + 4, off + 8);
    const data = b.subarray(off + 8, off + 8 + len);
    if (kind === "IDAT") idat.push(data);
    else if (kind === "PLTE") palette = data;
    else if (kind === "tRNS") trns = data;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const cur = Buffer.alloc(stride),
    prev = Buffer.alloc(stride);
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels] : 0,
        up = prev[i],
        c = i >= channels ? prev[i - channels] : 0;
      const x = line[i];
      cur[i] = f === 0 ? x : f === 1 ? x + a : f === 2 ? x + up : f === 3 ? x + ((a + up) >> 1) : x + paeth(a, up, c);
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4,
        i = x * channels;
      if (type === 6) rgba.set(cur.subarray(i, i + 4), o);
      else if (type === 2) {
        rgba[o] = cur[i];
        rgba[o + 1] = cur[i + 1];
        rgba[o + 2] = cur[i + 2];
        rgba[o + 3] = 255;
      } else if (type === 0 || type === 4) {
        rgba[o] = rgba[o + 1] = rgba[o + 2] = cur[i];
        rgba[o + 3] = type === 4 ? cur[i + 1] : 255;
      } else {
        const p = cur[i];
        if (!palette) throw new Error("decodePng: palette image without PLTE");
        rgba[o] = palette[p * 3];
        rgba[o + 1] = palette[p * 3 + 1];
        rgba[o + 2] = palette[p * 3 + 2];
        rgba[o + 3] = trns && p < trns.length ? trns[p] : 255;
      }
    }
    cur.copy(prev);
  }
  return { width, height, rgba };
}

/** Pixels that differ from `background` (default: the top-left pixel) by more than `tolerance` in any channel. */
export function inkPixels(
  img: { width: number; height: number; rgba: Uint8Array },
  opts: { background?: [number, number, number, number]; tolerance?: number } = {},
): number {
  const bg = opts.background ?? [img.rgba[0], img.rgba[1], img.rgba[2], img.rgba[3]];
  const tol = opts.tolerance ?? 16;
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    if (
      Math.abs(img.rgba[i] - bg[0]) > tol ||
      Math.abs(img.rgba[i + 1] - bg[1]) > tol ||
      Math.abs(img.rgba[i + 2] - bg[2]) > tol ||
      Math.abs(img.rgba[i + 3] - bg[3]) > tol
    )
      n++;
  }
  return n;
}
