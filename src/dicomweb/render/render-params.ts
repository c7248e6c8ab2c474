/**
 * The query parameters and media types of the rendered and thumbnail resources
 * (PS3.18 §8.3.5 "Rendered Resource Query Parameters", §8.7.4 "Rendered Media Types").
 */
import { badRequest, notAcceptable } from '../../core/errors.js';
import type { Window, WindowFunction } from '../../dicom/render/render-frame.js';
import { matchesType, parseAccept } from '../accept.js';

export type RenderedType = 'image/jpeg' | 'image/png' | 'image/gif';

export interface Viewport {
  /** Output size: the (source region of the) image is scaled to fit inside it, keeping its aspect ratio. */
  width: number;
  height: number;
  /** Source region in image pixels; a negative width or height flips the image along that axis. */
  region?: { x: number; y: number; width: number; height: number };
}

export interface RenderOptions {
  type: RenderedType;
  /** 1–100, for JPEG. */
  quality: number;
  window?: Window;
  viewport?: Viewport;
}

const TYPES: readonly RenderedType[] = ['image/jpeg', 'image/png', 'image/gif'];
const FUNCTIONS = new Map<string, WindowFunction>([
  ['linear', 'LINEAR'],
  ['linear-exact', 'LINEAR_EXACT'],
  ['sigmoid', 'SIGMOID'],
]);

/**
 * The media type to send: the first acceptable of ours, JPEG for `*\/*` and `image/*`.
 * `multipart/related; type=image/png` counts as image/png (multi-image resources are multipart anyway).
 * The `accept` query parameter, when given, replaces the header (PS3.18 §8.3.3.1).
 */
export function negotiateRendered(acceptHeader: string | undefined, acceptQuery?: string): RenderedType {
  for (const entry of parseAccept(acceptQuery ?? acceptHeader)) {
    const type = entry.type === 'multipart/related' ? (entry.params.type ?? 'image/jpeg').toLowerCase() : entry.type;
    const found = TYPES.find((t) => matchesType(type, t));
    if (found) return found;
  }
  throw notAcceptable(`rendered images are available as ${TYPES.join(', ')} only`);
}

function numbers(name: string, value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const out = parts.map((s) => (s === '' ? Number.NaN : Number(s)));
  if (out.some((n) => !Number.isFinite(n))) throw badRequest(`${name}="${value}" must be comma-separated numbers`);
  return out;
}

/** `window=center,width[,function]` (function: linear, linear-exact, sigmoid; default linear). */
export function parseWindow(value: string): Window {
  const [c = '', w = '', fn = 'linear', ...extra] = value.split(',').map((s) => s.trim());
  const fnName = FUNCTIONS.get(fn.toLowerCase());
  if (extra.length > 0 || !fnName)
    throw badRequest(`window="${value}" must be center,width[,function] with function linear, linear-exact or sigmoid`);
  const [center, width] = numbers('window', `${c},${w}`) as [number, number];
  // Linear needs width ≥ 1, the others > 0 (PS3.3 C.11.2.1.2).
  if (fnName === 'LINEAR' ? width < 1 : width <= 0) throw badRequest(`window width ${width} is out of range`);
  return { center, width, function: fnName };
}

const MAX_VIEWPORT = 8192;

/** `viewport=vw,vh[,sx,sy,sw,sh]`. */
export function parseViewport(value: string): Viewport {
  const n = numbers('viewport', value);
  if (n.length !== 2 && n.length !== 6) throw badRequest(`viewport="${value}" must be vw,vh or vw,vh,sx,sy,sw,sh`);
  const [width, height, x, y, sw, sh] = n as [number, number, number?, number?, number?, number?];
  if (![width, height].every((v) => Number.isInteger(v) && v >= 1 && v <= MAX_VIEWPORT))
    throw badRequest(`viewport size ${width}×${height} must be whole numbers from 1 to ${MAX_VIEWPORT}`);
  if (x === undefined) return { width, height };
  if (x < 0 || y! < 0 || sw === 0 || sh === 0)
    throw badRequest(`viewport source region in "${value}" is empty or negative`);
  return { width, height, region: { x, y: y!, width: sw!, height: sh! } };
}

export function parseQuality(value: string): number {
  const q = Number(value);
  if (!Number.isInteger(q) || q < 1 || q > 100)
    throw badRequest(`quality="${value}" must be a whole number from 1 to 100`);
  return q;
}

export interface RenderQuery {
  accept?: string;
  window?: string;
  viewport?: string;
  quality?: string;
}

/** The options of one request; `defaults` are the resource's (thumbnails are small and lower quality). */
export function renderOptions(
  query: RenderQuery,
  acceptHeader: string | undefined,
  defaults: { quality: number; viewport?: Viewport },
): RenderOptions {
  const type = negotiateRendered(acceptHeader, query.accept);
  const viewport = query.viewport !== undefined ? parseViewport(query.viewport) : defaults.viewport;
  return {
    type,
    quality: query.quality !== undefined ? parseQuality(query.quality) : defaults.quality,
    ...(query.window !== undefined ? { window: parseWindow(query.window) } : {}),
    ...(viewport ? { viewport } : {}),
  };
}

/** A stable string of the options, for cache keys. */
export function optionsKey(o: RenderOptions): string {
  const w = o.window ? `${o.window.center},${o.window.width},${o.window.function}` : '';
  const v = o.viewport
    ? `${o.viewport.width},${o.viewport.height}${o.viewport.region ? `,${Object.values(o.viewport.region).join(',')}` : ''}`
    : '';
  return `${o.type}|${o.quality}|${w}|${v}`;
}
