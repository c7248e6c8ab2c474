import { describe, expect, it } from 'vitest';
import { checkpointSyslogLine, syslogMessages } from './syslog-format.js';
import type { ChainRecord } from './types.js';

const origin = { hostname: 'ib-host', procId: 4242 };
const record = (json: string): ChainRecord => ({
  seq: 7,
  id: 'r-7',
  recorded: '2024-05-01T10:00:00.000Z',
  json,
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
});
const MSG = (m: string) => m.slice(m.indexOf('] ') + 2);

describe('syslog messages within the size a receiver must accept', () => {
  it('sends a record that fits as one message, unchanged', () => {
    const r = record('{"id":"r-7","resourceType":"AuditEvent"}');
    const [only, ...rest] = syslogMessages(r, origin, 2048);
    expect(rest).toEqual([]);
    expect(only).toBe(
      `<85>1 2024-05-01T10:00:00.000Z ib-host imaging-bridge 4242 IHE+FHIR [imaging-bridge-audit@32473 seq="7" hash="${'b'.repeat(64)}" prev="${'a'.repeat(64)}"] ${r.json}`,
    );
  });

  for (const max of [1024, 2048, 8192]) {
    it(`splits a long record into complete messages of at most ${max} octets whose MSGs concatenate to the hashed JSON`, () => {
      const json = JSON.stringify({ id: 'r-7', query: 'x'.repeat(30_000), tail: 'é€😀'.repeat(50) });
      const parts = syslogMessages(record(json), origin, max);
      expect(parts.length).toBeGreaterThan(1);
      for (const [i, p] of parts.entries()) {
        expect(Buffer.byteLength(p)).toBeLessThanOrEqual(max);
        expect(p).toMatch(
          new RegExp(
            `^<85>1 \\S+ ib-host imaging-bridge 4242 IHE\\+FHIR \\[imaging-bridge-audit@32473 seq="7" hash="b{64}" prev="a{64}" part="${i + 1}" parts="${parts.length}"\\] `,
          ),
        );
      }
      expect(parts.map(MSG).join('')).toBe(json); // nothing lost, no character cut in two
    });
  }

  it('writes an anchored checkpoint as structured data only, MSGID CHECKPOINT', () => {
    expect(
      checkpointSyslogLine(
        { v: 1, seq: 12, hash: 'c'.repeat(64), hmac: 'd'.repeat(64), at: '2024-05-01T10:05:00.000Z' },
        origin,
      ),
    ).toBe(
      `<85>1 2024-05-01T10:05:00.000Z ib-host imaging-bridge 4242 CHECKPOINT [imaging-bridge-checkpoint@32473 v="1" seq="12" hash="${'c'.repeat(64)}" hmac="${'d'.repeat(64)}"]`,
    );
  });
});
