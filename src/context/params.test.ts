import { describe, expect, it } from 'vitest';
import type { OperationOutcomeError } from '../core/errors.js';
import { parseContextConfig } from './config.js';
import { DEFAULT_STUDY_LIMIT, parseContextQuery } from './params.js';
import { SECTIONS } from './sections.js';

const parse = (q: string) => parseContextQuery(new URLSearchParams(q));
const problem = (q: string) => {
  try {
    parse(q);
  } catch (e) {
    return (e as OperationOutcomeError).outcome.issue[0].expression?.[0];
  }
  return undefined;
};

describe('GET /api/context parameters', () => {
  it('takes a Patient id or a system|value identifier, with defaults for the rest', () => {
    expect(parse('patient=abc-1')).toEqual({
      patient: { id: 'abc-1' },
      studyLimit: DEFAULT_STUDY_LIMIT,
      include: [...SECTIONS],
    });
    expect(parse('identifier=http://h.example/mrn|A%7CB').patient).toEqual({
      identifier: { system: 'http://h.example/mrn', value: 'A|B' },
    });
  });

  it('reads since as a FHIR date or dateTime, year and month included', () => {
    expect(parse('patient=a&since=2024').since).toBe(Date.parse('2024-01-01'));
    expect(parse('patient=a&since=2024-05').since).toBe(Date.parse('2024-05-01'));
    expect(parse('patient=a&since=2024-05-01T10:00:00%2B02:00').since).toBe(Date.parse('2024-05-01T08:00:00Z'));
  });

  it('accepts include as a comma list or repeated, and answers in response order', () => {
    expect(parse('patient=a&include=reports,imagingStudies').include).toEqual(['imagingStudies', 'reports']);
    expect(parse('patient=a&include=flags&include=conditions').include).toEqual(['conditions', 'flags']);
  });

  it.each([
    ['', 'patient'],
    ['patient=a&patient=b', 'patient'],
    ['identifier=%7Cv', 'identifier'],
    ['identifier=s%7C', 'identifier'],
    ['patient=a&since=2024-13-01', 'since'],
    ['patient=a&since=2024-05-01T10:00', 'since'],
    ['patient=a&studyLimit=201', 'studyLimit'],
    ['patient=a&include=', 'include'],
  ])('refuses ?%s naming %s', (q, param) => {
    expect(problem(q)).toBe(param);
  });
});

describe('context config', () => {
  it('defaults to the embedded server and refuses an unknown one or a bad number by name', () => {
    expect(parseContextConfig(undefined, []).fhirServer).toBe('embedded');
    expect(parseContextConfig({ fhirServer: 'ehr', timeoutMs: 200 }, ['ehr'])).toMatchObject({
      fhirServer: 'ehr',
      timeoutMs: 200,
    });
    expect(() => parseContextConfig({ fhirServer: 'ehr' }, [])).toThrow(/context.fhirServer/);
    expect(() => parseContextConfig({ timeoutMs: 0 }, [])).toThrow(/context.timeoutMs/);
    expect(() => parseContextConfig({ colour: 1 }, [])).toThrow(/context.colour/);
  });
});
