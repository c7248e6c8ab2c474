/**
 * FHIR date, dateTime and instant values as inclusive [low, high] ranges of epoch milliseconds,
 * so that `2020` and `2020-03-04T10:00:00Z` compare by the span they stand for. Values without
 * a time zone are read as UTC.
 */
export interface DateRange {
  low: number;
  high: number;
}

export const MIN_TIME = -8_640_000_000_000_000;
export const MAX_TIME = 8_640_000_000_000_000;

const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function dateRange(text: string): DateRange | undefined {
  const m = DATE_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  if (mo === undefined) return span(Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
  const month = Number(mo) - 1;
  if (month > 11) return undefined;
  if (d === undefined) return span(Date.UTC(year, month, 1), Date.UTC(year, month + 1, 1));
  const day = Number(d);
  if (day < 1 || day > 31) return undefined;
  if (h === undefined) return span(Date.UTC(year, month, day), Date.UTC(year, month, day + 1));
  const offset =
    tz && tz !== 'Z' ? (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000 : 0;
  const base = Date.UTC(year, month, day, Number(h), Number(mi)) - offset;
  if (s === undefined) return span(base, base + 60_000);
  const secondStart = base + Number(s) * 1000;
  if (frac === undefined) return span(secondStart, secondStart + 1000);
  const digits = Math.min(frac.length, 3);
  const unit = 10 ** (3 - digits);
  const low = secondStart + Number(frac.slice(0, 3).padEnd(3, '0'));
  return span(low, low + unit);
}

function span(start: number, nextStart: number): DateRange | undefined {
  if (Number.isNaN(start) || Number.isNaN(nextStart)) return undefined;
  return { low: start, high: nextStart - 1 };
}

export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}
