import { describe, expect, it } from 'vitest';
import { parseCapability, releaseOf } from './capability.js';
import { parseDimseTarget } from './dimse-probe.js';
import { parseDuration, parseSince } from './targets.js';

describe('reading a CapabilityStatement', () => {
  it.each([
    ['1.0.2', 'DSTU2'],
    ['3.0.2', 'STU3'],
    ['4.0.1', 'R4'],
    ['4.3.0', 'R4B'],
    ['5.0.0', 'R5'],
    ['6.0.0-ballot2', 'R6 ballot'],
    ['2.0', 'unknown'],
    [undefined, 'unknown'],
  ])('names fhirVersion %s as %s', (version, release) => expect(releaseOf(version)).toBe(release));

  it('reads interactions, needed search parameters, transaction and the SMART oauth-uris', () => {
    const cs = parseCapability({
      fhirVersion: '4.0.1',
      format: ['application/fhir+json'],
      rest: [
        {
          mode: 'server',
          interaction: [{ code: 'transaction' }],
          security: {
            extension: [
              {
                url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                extension: [{ url: 'token', valueUri: 'https://ehr/token' }],
              },
            ],
          },
          resource: [
            {
              type: 'ImagingStudy',
              conditionalUpdate: true,
              interaction: [{ code: 'read' }, { code: 'update' }, { code: 'history-instance' }],
              searchParam: [{ name: 'identifier' }, { name: 'subject' }],
            },
          ],
        },
      ],
    });
    expect(cs.resources.ImagingStudy).toEqual({
      interactions: ['read', 'update', 'conditional-update'],
      searchParams: ['identifier', 'patient'],
      missingSearchParams: ['started', 'modality'],
    });
    expect(cs.resources.Patient).toBeNull();
    expect(cs).toMatchObject({
      json: true,
      transaction: true,
      batch: false,
      conditionalUpdate: true,
      oauth: { token: 'https://ehr/token' },
    });
  });
});

describe('command-line values', () => {
  const now = new Date('2026-12-06T10:00:00Z');
  it('reads durations and refuses nonsense with the flag named', () => {
    expect(parseDuration('10s', 'timeout')).toBe(10_000);
    expect(parseDuration('500ms', 'timeout')).toBe(500);
    expect(parseDuration('2m', 'timeout')).toBe(120_000);
    expect(() => parseDuration('soon', 'timeout')).toThrow(/timeout must be a duration/);
    expect(() => parseDuration('0s', 'timeout')).toThrow();
  });
  it('reads --since as a span before now or a date, at the start of that day (UTC)', () => {
    expect(parseSince('30d', now).toISOString()).toBe('2026-11-06T00:00:00.000Z');
    expect(parseSince('2w', now).toISOString()).toBe('2026-11-22T00:00:00.000Z');
    expect(parseSince('2026-01-31', now).toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(() => parseSince('2027-01-01', now)).toThrow(/in the past/);
    expect(() => parseSince('yesterday', now)).toThrow(/since must be/);
  });
  it('reads AET@HOST:PORT, IPv6 in brackets', () => {
    expect(parseDimseTarget('PACS@10.0.0.5:104')).toEqual({ aet: 'PACS', host: '10.0.0.5', port: 104 });
    expect(parseDimseTarget('PACS@[::1]:11112')).toEqual({ aet: 'PACS', host: '::1', port: 11112 });
    expect(parseDimseTarget('PACS@host')).toBeUndefined();
    expect(parseDimseTarget('TOO_LONG_AE_TITLE_X@h:1')).toBeUndefined();
    expect(parseDimseTarget('PACS@h:70000')).toBeUndefined();
  });
});
