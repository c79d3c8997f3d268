// Just enough PNG reading to check a browser's screenshot: the signature, the header, and the
// pixels (8-bit RGB or RGBA, non-interlaced — what Chromium writes), inflated with node:zlib.

import { inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface DecodedPng {
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA) bytes a pixel. */
  channels: number;
  /** Unfiltered rows, one after another. */
  pixels: Buffer;
}

export const isPng = (bytes: Buffer) => bytes.subarray(0, 8).equals(SIGNATURE);

export function decodePng(bytes: Buffer): DecodedPng {
  if (!isPng(bytes)) throw new Error('not a PNG: the signature is wrong');
  let offset = 8;
  let header: { width: number; height: number; bitDepth: number; colourType: number; interlace: number } | undefined;
  const data: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR')
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8]!,
        colourType: body[9]!,
        interlace: body[12]!,
      };
    else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (!header) throw new Error('not a PNG: no IHDR chunk');
  const channels = header.colourType === 2 ? 3 : header.colourType === 6 ? 4 : 0;
  if (header.bitDepth !== 8 || channels === 0 || header.interlace !== 0) {
    throw new Error(`unsupported PNG: bit depth ${header.bitDepth}, colour type ${header.colourType}, interlace ${header.interlace}`);
  }
  const filtered = inflateSync(Buffer.concat(data));
  const stride = header.width * channels;
  const pixels = Buffer.alloc(stride * header.height);
  for (let y = 0; y < header.height; y++) {
    const filter = filtered[y * (stride + 1)]!;
    const row = filtered.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? pixels[out + i - channels]! : 0;
      const up = y > 0 ? pixels[out - stride + i]! : 0;
      const upLeft = y > 0 && i >= channels ? pixels[out - stride + i - channels]! : 0;
      const predictor =
        filter === 0 ? 0 : filter === 1 ? left : filter === 2 ? up : filter === 3 ? (left + up) >> 1 : paeth(left, up, upLeft);
      pixels[out + i] = (row[i]! + predictor) & 0xff;
    }
  }
  return { width: header.width, height: header.height, channels, pixels };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** `#rrggbb` of the pixel at (x, y). */
export function pixelAt(png: DecodedPng, x: number, y: number): string {
  const at = (y * png.width + x) * png.channels;
  return `#${[0, 1, 2].map((c) => png.pixels[at + c]!.toString(16).padStart(2, '0')).join('')}`;
}

/** How many different colours the image has (capped: a screenshot of text has thousands). */
export function colourCount(png: DecodedPng, cap = 64): number {
  const seen = new Set<string>();
  for (let y = 0; y < png.height && seen.size < cap; y += 3)
    for (let x = 0; x < png.width && seen.size < cap; x += 3) seen.add(pixelAt(png, x, y));
  return seen.size;
}
