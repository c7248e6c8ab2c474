/**
 * UTC offset of a local wall-clock time in a source's configured zone: an IANA name
 * (`Europe/Berlin`, daylight saving applied for that date) or a fixed `±hhmm` / `±hh:mm`.
 * Pure: the instant comes from the arguments, never from a clock.
 */
const FIXED = /^([+-])(\d{2}):?(\d{2})$/;
const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, f);
  }
  return f;
}

/** True for a fixed offset or a zone name the runtime knows (for config validation). */
export function isValidTimezone(zone: string): boolean {
  if (FIXED.test(zone)) return true;
  try {
    format(zone);
    return true;
  } catch {
    return false;
  }
}

/** Offsets already computed, by zone and UTC second; cleared when full. */
const offsets = new Map<string, Map<number, number>>();
const OFFSETS_KEPT = 4096;
let offsetsHeld = 0;

/**
 * The zone's offset at an instant, remembered by UTC second: it depends only on the zone and
 * the second (tz transitions fall on whole seconds, and the computation drops milliseconds), and
 * each study's mapping asks for its study and series start twice (formatToParts was ≈ 1 % of the
 * main thread under C-STORE load).
 */
function zoneOffsetMinutes(zone: string, utcMs: number): number {
  const second = Math.floor(utcMs / 1000);
  let byZone = offsets.get(zone);
  const known = byZone?.get(second);
  if (known !== undefined) return known;
  const minutes = computeOffsetMinutes(zone, utcMs);
  if (offsetsHeld >= OFFSETS_KEPT) {
    offsets.clear();
    offsetsHeld = 0;
    byZone = undefined;
  }
  if (!byZone) offsets.set(zone, (byZone = new Map()));
  byZone.set(second, minutes);
  offsetsHeld++;
  return minutes;
}

function computeOffsetMinutes(zone: string, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const p of format(zone).formatToParts(utcMs)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
}

/** `±hh:mm` for a FHIR dateTime. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Offset of the wall-clock time `local` in `zone`; throws RangeError for an unknown zone. */
export function offsetAt(zone: string, local: LocalDateTime): string {
  const fixed = FIXED.exec(zone);
  if (fixed) return `${fixed[1]}${fixed[2]}:${fixed[3]}`;
  const localMs = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    Math.min(local.second, 59),
  );
  // Two passes: the first guess may sit on the other side of a daylight-saving change.
  const guess = zoneOffsetMinutes(zone, localMs);
  return formatOffset(zoneOffsetMinutes(zone, localMs - guess * 60000));
}
