/**
 * Tag ↔ keyword ↔ VR lookups. The data comes from the dcmjs data dictionary (the only
 * thing we take from dcmjs); we copy it into two Maps once, on first use, because the
 * dcmjs dictionary is a lazy Proxy keyed by "(gggg,eeee)" strings and a Map keyed by the
 * numeric tag is several times faster in the parser's hot loop.
 */
import { createRequire } from 'node:module';
import type dcmjsModule from 'dcmjs';

/**
 * dcmjs as CommonJS, the copy dcmjs-dimse requires: an ESM import resolves to its other build
 * (dcmjs.es.js), a second copy of the library and its dictionaries in the heap (≈ 4 MB, issue 21).
 */
const dcmjs = createRequire(import.meta.url)('dcmjs') as typeof dcmjsModule;

interface Entry {
  keyword: string;
  vr: string;
}

let byTag: Map<number, Entry> | undefined;
let byKeyword: Map<string, number> | undefined;
let usOrSs: Set<number> | undefined;

/**
 * dcmjs writes ambiguous VRs as lower-case codes. We resolve them to the VR used in
 * implicit VR streams: 'ox' (OB or OW) → OW because PS3.5 A.1 encodes pixel, overlay,
 * waveform data as OW in implicit VR; 'xs' (US or SS) → US (the parser switches to SS
 * when PixelRepresentation is 1); 'lt' (US or OW, LUT data) → US; 'up' → UL.
 */
const AMBIGUOUS: Record<string, string> = { ox: 'OW', xs: 'US', lt: 'US', up: 'UL' };

function load(): void {
  const tags = new Map<number, Entry>();
  const keywords = new Map<string, number>();
  const xs = new Set<number>();
  const nameMap = dcmjs.data.DicomMetaDictionary.nameMap;
  for (const e of Object.values(nameMap)) {
    const m = /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/i.exec(e.tag);
    if (!m) continue;
    const tag = ((parseInt(m[1]!, 16) << 16) | parseInt(m[2]!, 16)) >>> 0;
    // dcmjs prefixes retired keywords; the standard keyword has no prefix.
    const keyword = e.name.startsWith('RETIRED_') ? e.name.slice(8) : e.name;
    const vr = e.vr === 'na' ? '' : (AMBIGUOUS[e.vr] ?? e.vr);
    tags.set(tag, { keyword, vr });
    if (e.vr === 'xs') xs.add(tag);
    if (!keywords.has(keyword) || !e.name.startsWith('RETIRED_')) keywords.set(keyword, tag);
  }
  byTag = tags;
  byKeyword = keywords;
  usOrSs = xs;
}

function entryOf(tag: number): Entry | undefined {
  if (!byTag) load();
  const direct = byTag!.get(tag);
  if (direct) return direct;
  // Repeating groups (curves 50xx, overlays 60xx) are stored once under their base group.
  const group = tag >>> 16;
  if ((group & 0xff01) === 0x5000 || (group & 0xff01) === 0x6000) {
    return byTag!.get((((group & 0xff00) << 16) | (tag & 0xffff)) >>> 0);
  }
  return undefined;
}

// The parser names every element it meets; the same few hundred tags recur in every file.
const hexCache = new Map<number, string>();

export function tagToHex(tag: number): string {
  let hex = hexCache.get(tag);
  if (hex === undefined) {
    hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
    if (hexCache.size < 20000) hexCache.set(tag, hex);
  }
  return hex;
}

export function isPrivateTag(tag: number): boolean {
  return ((tag >>> 16) & 1) === 1;
}

export function isPrivateCreator(tag: number): boolean {
  const element = tag & 0xffff;
  return isPrivateTag(tag) && element >= 0x0010 && element <= 0x00ff;
}

export function tagOfKeyword(keyword: string): number | undefined {
  if (!byKeyword) load();
  return byKeyword!.get(keyword);
}

export function keywordOfTag(tag: number): string | undefined {
  if (isPrivateTag(tag)) return undefined;
  return entryOf(tag >>> 0)?.keyword;
}

export function vrOfTag(tag: number): string | undefined {
  tag >>>= 0;
  if (isPrivateTag(tag)) return isPrivateCreator(tag) ? 'LO' : undefined;
  // Group length elements (gggg,0000) are UL in every group, listed or not.
  if ((tag & 0xffff) === 0) return 'UL';
  const vr = entryOf(tag)?.vr;
  return vr === '' ? undefined : vr;
}

/** Tags listed as "US or SS": in implicit VR the choice follows PixelRepresentation. */
export function isUsOrSsTag(tag: number): boolean {
  if (!usOrSs) load();
  return usOrSs!.has(tag >>> 0);
}
