import { describe, expect, it } from 'vitest';
import { loadR4 } from '../fhir/definitions/load-r4.js';
import { validateFhirResource } from '../fhir/validate.js';
import { buildAuditEvents } from './index.js';
import { notAnAuditEvent } from './fhir-projection.js';
import { GOLDEN_CASES } from './balp/test-support.js';

loadR4();

describe('the structural check before an audit record is copied into FHIR', () => {
  // The chain gives each record its id before it is copied.
  const event = { ...buildAuditEvents(Object.values(GOLDEN_CASES)[0]!)[0]!, id: '0a1b-2c3d.4' };

  it('passes what the builder makes (which is valid R4)', () => {
    expect(() => validateFhirResource(event)).not.toThrow();
    expect(notAnAuditEvent(event)).toBeUndefined();
  });

  it.each([
    ['another type', { resourceType: 'Patient' }, /resourceType/],
    ['no id', { id: undefined }, /id/],
    ['an id FHIR refuses', { id: 'a b' }, /id/],
    ['no type', { type: undefined }, /type/],
    ['a broken recorded', { recorded: 'yesterday' }, /recorded/],
    ['no agent', { agent: [] }, /agent/],
    ['no source', { source: undefined }, /source/],
  ])('names what is wrong: %s', (_, change, problem) => {
    expect(notAnAuditEvent({ ...event, ...change } as never)).toMatch(problem);
  });
});
