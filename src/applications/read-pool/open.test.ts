import { describe, expect, it } from 'vitest';
import type { ContextService } from '../../context/index.js';
import { parseContextConfig } from '../../context/config.js';
import type { StrokeService } from '../stroke/service.js';
import { openReadPool } from './open.js';
import { defaultReadThreads } from './read-pool.js';

const services = { context: {} as ContextService, stroke: {} as StrokeService };
const open = (sections: Record<string, unknown>, store: 'sqlite' | 'postgres' = 'sqlite') =>
  openReadPool({
    sections,
    fhirFile: store === 'sqlite' ? '/data/fhir.sqlite' : undefined,
    publicUrl: 'http://ib.test',
    ...services,
  });

describe('openReadPool: read threads only where they help', () => {
  it('opens a pool for the embedded SQLite store, of the configured size', () => {
    expect(open({ context: { readThreads: 1 } })).toBeDefined();
    expect(open({ context: { readThreads: 2 } })).toBeDefined();
  });

  it('keeps the reads in process for readThreads 0, the PostgreSQL store and an external EHR', () => {
    expect(open({ context: { readThreads: 0 } })).toBeUndefined();
    expect(open({}, 'postgres')).toBeUndefined();
    const ehr = { fhir: { servers: { ehr: { baseUrl: 'http://ehr.test/fhir' } } }, context: { fhirServer: 'ehr' } };
    expect(open(ehr)).toBeUndefined();
  });

  it('validates context.readThreads and sizes the default by cores (none on 2 cores, at most 2)', () => {
    expect(parseContextConfig({ readThreads: 3 }, []).readThreads).toBe(3);
    for (const bad of [-1, 17, 1.5, '2'])
      expect(() => parseContextConfig({ readThreads: bad }, [])).toThrow(/context.readThreads/);
    expect([1, 2, 3, 4, 8].map(defaultReadThreads)).toEqual([0, 0, 1, 2, 2]);
  });
});
