/**
 * DICOM DA / TM / DT / TimezoneOffsetFromUTC → FHIR date and dateTime. A FHIR dateTime
 * with a time must carry an offset, so a time without one takes the source's zone (never a
 * silent `Z`). Values that are not valid dates give undefined: absent stays absent.
 */
import { offsetAt } from './timezone.js';

const DA = /^(\d{4})(\d{2})(\d{2})$/;
const TM = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/;
const OFFSET = /^([+-])(\d{2})(\d{2})$/;

function validDate(y: string, m: string, d: string): boolean {
  const [yy, mm, dd] = [Number(y), Number(m), Number(d)];
  return yy > 0 && mm >= 1 && mm <= 12 && dd >= 1 && dd <= new Date(Date.UTC(yy, mm, 0)).getUTCDate();
}

/** `20240102` → `2024-01-02`. */
export function fhirDate(da: string | undefined): string | undefined {
  const m = da ? DA.exec(da) : null;
  return m && validDate(m[1]!, m[2]!, m[3]!) ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/** `+0900` → `+09:00`; undefined for anything else. */
export function fhirOffset(tz: string | undefined): string | undefined {
  const m = tz ? OFFSET.exec(tz.trim()) : null;
  if (!m || Number(m[2]) > 14 || Number(m[3]) > 59) return undefined;
  return `${m[1]}${m[2]}:${m[3]}`;
}

/**
 * DA + TM (+ offset) → FHIR dateTime. Without a time: the date alone. With a time: seconds
 * are filled in (FHIR needs hh:mm:ss), and the offset is `offset` or the zone's at that time.
 */
export function fhirDateTime(
  da: string | undefined,
  tm: string | undefined,
  offset: string | undefined,
  zone: string,
): string | undefined {
  const date = fhirDate(da);
  if (!date) return undefined;
  const t = tm ? TM.exec(tm) : null;
  if (!t || Number(t[1]) > 23 || Number(t[2] ?? 0) > 59 || Number(t[3] ?? 0) > 59) return date;
  const [hh, mm = '00', ss = '00', frac] = [t[1]!, t[2], t[3], t[4]];
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const tz = offset ?? offsetAt(zone, { year, month, day, hour: Number(hh), minute: Number(mm), second: Number(ss) });
  return `${date}T${hh}:${mm}:${ss}${frac ? `.${frac}` : ''}${tz}`;
}

/** DT `YYYYMMDDHHMMSS.FFFFFF&ZZXX` → FHIR dateTime (its own offset, else offset/zone). */
export function fhirDateTimeFromDt(
  dt: string | undefined,
  offset: string | undefined,
  zone: string,
): string | undefined {
  const m = dt ? /^(\d{8})(\d{2,6}(?:\.\d{1,6})?)?([+-]\d{4})?$/.exec(dt) : null;
  if (!m) return undefined;
  return fhirDateTime(m[1], m[2], fhirOffset(m[3]) ?? offset, zone);
}
