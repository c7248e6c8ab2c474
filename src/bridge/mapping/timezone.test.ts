import { describe, expect, it } from 'vitest';
import { offsetAt } from './timezone.js';

/** The offset as the uncached code computed it: Intl's wall clock at the instant, minus the instant. */
const formats = new Map<string, Intl.DateTimeFormat>();
function offsetByIntl(zone: string, utcMs: number): number {
  const f =
    formats.get(zone) ??
    new Intl.DateTimeFormat('en-US', {
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
  const parts = new Map(f.formatToParts(utcMs).map((p) => [p.type, Number(p.value)]));
  const asUtc = Date.UTC(
    parts.get('year')!,
    parts.get('month')! - 1,
    parts.get('day')!,
    parts.get('hour')!,
    parts.get('minute')!,
    parts.get('second')!,
  );
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
}

function expectedOffset(zone: string, local: Date): string {
  const localMs = local.getTime();
  const minutes = offsetByIntl(zone, localMs - offsetByIntl(zone, localMs) * 60000);
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

describe('offsetAt, remembered by UTC second', () => {
  it('gives what Intl gives around daylight-saving changes, asked once and again, past the size it keeps', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/St_Johns'];
    // Every 7 minutes through the 2024 spring and autumn changes of both hemispheres: > 4,096 distinct seconds.
    const starts = [Date.UTC(2024, 2, 9, 0, 0, 0), Date.UTC(2024, 2, 30, 0, 0, 0), Date.UTC(2024, 3, 6, 0, 0, 0)];
    let compared = 0;
    const seen = new Set<string>();
    for (const pass of [1, 2]) {
      for (const zone of zones) {
        for (const start of starts) {
          for (let ms = start; ms < start + 2 * 86_400_000; ms += 7 * 60_000 + 13_000) {
            const d = new Date(ms);
            const local = {
              year: d.getUTCFullYear(),
              month: d.getUTCMonth() + 1,
              day: d.getUTCDate(),
              hour: d.getUTCHours(),
              minute: d.getUTCMinutes(),
              second: d.getUTCSeconds(),
            };
            const expected = expectedOffset(zone, d);
            expect(offsetAt(zone, local), `${zone} ${d.toISOString()} pass ${pass}`).toBe(expected);
            seen.add(expected);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(8000);
    // Both sides of each change were seen (e.g. +01:00/+02:00, -05:00/-04:00, +10:30/+11:00).
    expect(seen).toEqual(
      new Set(['+01:00', '+02:00', '-05:00', '-04:00', '+10:30', '+11:00', '+05:30', '-03:30', '-02:30']),
    );
  });
});
