import { describe, expect, it } from 'vitest';
import { parseStrokeConfig, STROKE_DEFAULTS } from './config.js';
import { parseStrokeQuery } from './params.js';

describe('parseStrokeConfig', () => {
  it('gives the defaults without a section, and takes each known key', () => {
    expect(parseStrokeConfig(undefined)).toBe(STROKE_DEFAULTS);
    expect(
      parseStrokeConfig({
        lastKnownWell: ['http://loinc.org|x-1', 'urn:site|lkw'],
        guideline: 'aha-2019',
        automatic: false,
        modalities: ['CT'],
        headPattern: 'kopf',
      }),
    ).toEqual({
      lastKnownWell: [
        { system: 'http://loinc.org', code: 'x-1' },
        { system: 'urn:site', code: 'lkw' },
      ],
      guideline: 'aha-2019',
      automatic: false,
      modalities: ['CT'],
      headPattern: 'kopf',
    });
  });

  it.each([
    [{ lastKnownWell: 'no-bar' }, /lastKnownWell/],
    [{ guideline: 'aha-2030' }, /guideline/],
    [{ automatic: 'yes' }, /automatic/],
    [{ modalities: ['ct scan'] }, /modalities/],
    [{ headPattern: '(' }, /headPattern/],
    [{ colour: 'blue' }, /not known/],
    ['stroke', /must be an object/],
  ])('refuses %j with a clear message', (section, message) => {
    expect(() => parseStrokeConfig(section)).toThrow(message);
  });
});

describe('parseStrokeQuery', () => {
  const q = (s: string) => parseStrokeQuery(new URLSearchParams(s));

  it('reads patient or identifier, study, guideline and at', () => {
    expect(q('patient=p-1&study=1.2.3&guideline=aha-2019&at=2026-03-01T10:00:00Z')).toEqual({
      patient: { id: 'p-1' },
      studyUid: '1.2.3',
      guideline: 'aha-2019',
      at: Date.parse('2026-03-01T10:00:00Z'),
    });
    expect(q('identifier=urn:mrn%7C42')).toEqual({ patient: { identifier: { system: 'urn:mrn', value: '42' } } });
  });

  it.each([
    ['', 'patient'],
    ['patient=a&identifier=s%7Cv', 'identifier'],
    ['patient=a&patient=b', 'patient'],
    ['patient=a&at=2026-03-01T10:00', 'at'],
    ['patient=a&study=1.02', 'study'],
  ])('answers 400 naming the parameter for ?%s', (s, param) => {
    try {
      q(s);
      expect.unreachable();
    } catch (e) {
      expect((e as { status: number }).status).toBe(400);
      expect((e as { outcome: { issue: { expression: string[] }[] } }).outcome.issue[0].expression).toEqual([param]);
    }
  });
});
