import { parseMediaType, type MediaType } from './multipart.js';

export interface AcceptEntry extends MediaType {
  q: number;
}

/** Accept header → media ranges, best first (stable for equal q). Absent → `*\/*`. */
export function parseAccept(header: string | undefined): AcceptEntry[] {
  if (!header?.trim()) return [{ type: '*/*', params: {}, q: 1 }];
  return splitTopLevel(header)
    .map((part, i) => {
      const m = parseMediaType(part);
      const q = m.params.q === undefined ? 1 : Number(m.params.q);
      delete m.params.q;
      return { ...m, q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((e) => e.type && e.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map(({ i: _i, ...e }) => e);
}

/** Split on ',' outside quoted strings (transfer-syntax lists are not comma-separated, but quotes are). */
function splitTopLevel(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.filter((s) => s.trim());
}

export function matchesType(range: string, type: string): boolean {
  if (range === '*/*' || range === type) return true;
  return range.endsWith('/*') && type.startsWith(range.slice(0, -1));
}
