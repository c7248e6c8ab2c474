import { describe, expect, it } from 'vitest';
import { MAX_STUDIES_PER_RECORD, StoreAudit, type DimseAuditEvent } from './audit.js';
import type { StorePort } from './store-handler.js';

/** An archive port that "stores" an instance of the study named by its first chunk, or refuses it. */
const archive: StorePort = {
  store: async (chunks) => {
    for await (const c of chunks) {
      const studyUid = c.toString();
      if (studyUid === 'refuse') throw Object.assign(new Error('refused'), { status: 0xa700 });
      return { record: { studyUid } } as never;
    }
    throw new Error('no chunk');
  },
};

async function* one(text: string): AsyncIterable<Buffer> {
  yield Buffer.from(text);
}

function recorder(): { events: DimseAuditEvent[]; audit: StoreAudit; port: StorePort } {
  const events: DimseAuditEvent[] = [];
  const audit = new StoreAudit(
    'IMGBRIDGE',
    async (e) => void events.push(e),
    () => {},
    60_000,
  );
  return { events, audit, port: audit.wrap(archive) };
}

const store = (port: StorePort, source: string, study: string) => port.store(one(study), { source } as never);

describe('StoreAudit', () => {
  it('records every study a calling AE stored in the window in one record, one record per AE', async () => {
    const { events, audit, port } = recorder();
    await store(port, 'MOD1', '1.1');
    await store(port, 'MOD1', '1.1');
    await store(port, 'MOD1', '1.2');
    await store(port, 'MOD2', '1.3');
    expect(events).toEqual([]); // nothing before the window ends
    await audit.flush();
    expect(events).toEqual([
      {
        service: 'C-STORE',
        callingAet: 'MOD1',
        calledAet: 'IMGBRIDGE',
        studyUids: ['1.1', '1.2'],
        status: 0,
        instances: 3,
      },
      { service: 'C-STORE', callingAet: 'MOD2', calledAet: 'IMGBRIDGE', studyUids: ['1.3'], status: 0, instances: 1 },
    ]);
    await audit.flush();
    expect(events).toHaveLength(2); // flushed once
  });

  it(`names at most ${MAX_STUDIES_PER_RECORD} studies per record`, async () => {
    const { events, audit, port } = recorder();
    const studies = Array.from({ length: MAX_STUDIES_PER_RECORD * 2 + 1 }, (_, i) => `2.${i}`);
    for (const s of studies) await store(port, 'MOD1', s);
    await store(port, 'MOD1', studies[0]!); // a study of the first (full) record again: counted in the open one
    await audit.flush();
    const named = events.map((e) => (e.service === 'C-STORE' ? e.studyUids : []));
    expect(named.map((n) => n.length)).toEqual([MAX_STUDIES_PER_RECORD, MAX_STUDIES_PER_RECORD, 2]);
    expect(new Set(named.flat())).toEqual(new Set(studies));
  });

  it('records a refused instance at once, on its own, with its status', async () => {
    const { events, audit, port } = recorder();
    await expect(store(port, 'MOD1', 'refuse')).rejects.toThrow('refused');
    await audit.flush();
    expect(events).toEqual([
      { service: 'C-STORE', callingAet: 'MOD1', calledAet: 'IMGBRIDGE', studyUids: [], status: 0xa700, instances: 1 },
    ]);
  });
});
