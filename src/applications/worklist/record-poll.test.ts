import { afterEach, describe, expect, it } from 'vitest';
import { inProcessFhirClient } from '../../fhir/client/index.js';
import { TEST_BASE } from '../../fhir/repository/test-support.js';
import { openTestRouter } from '../../fhir/rest/test-support.js';
import type { FhirResource } from '../../fhir/types.js';
import { RecordPoller } from './record-poll.js';

const flag = (patient: string, status = 'active') => ({
  resourceType: 'Flag',
  status,
  code: { text: 'code stroke' },
  subject: { reference: `Patient/${patient}` },
});
const keys = (rs: FhirResource[]) => rs.map((r) => `${r.resourceType}/${r.id}/${r.meta?.versionId}`);

describe('RecordPoller (a real FHIR server in process)', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  const open = () => {
    const t = openTestRouter();
    close = () => t.close?.();
    return inProcessFhirClient(t.router, TEST_BASE);
  };

  it('reports each change once: nothing from before start, a new resource, then its new version', async () => {
    const fhir = open();
    await fhir.create(flag('old'));
    const poller = new RecordPoller(fhir, [
      ['Flag', {}],
      ['Observation', { code: 'http://loinc.org|75636-1' }],
    ]);
    await poller.start();
    expect(await poller.changes()).toEqual([]);
    const created = await fhir.create(flag('p1'));
    // Not the triage code: outside the watched filter.
    await fhir.create({ resourceType: 'Observation', status: 'final', code: { text: 'lab' } });
    const first = await poller.changes();
    expect(keys(first)).toEqual([`Flag/${created.id}/1`]);
    expect(await poller.changes()).toEqual([]);
    const ended = await fhir.update({ ...created, status: 'inactive' });
    expect(keys(await poller.changes())).toEqual([`Flag/${created.id}/${ended.meta?.versionId}`]);
    expect(await poller.changes()).toEqual([]);
  });

  it('sees everything written to a type that was empty at start', async () => {
    const fhir = open();
    const poller = new RecordPoller(fhir, [['Flag', {}]]);
    await poller.start();
    const a = await fhir.create(flag('a'));
    const b = await fhir.create(flag('b'));
    expect(keys(await poller.changes()).sort()).toEqual([`Flag/${a.id}/1`, `Flag/${b.id}/1`].sort());
    expect(await poller.changes()).toEqual([]);
  });
});
