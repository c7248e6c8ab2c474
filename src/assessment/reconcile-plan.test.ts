import { describe, expect, it } from 'vitest';
import { planReconcile, summarize } from './reconcile-plan.js';

const comparison = {
  missingInFhir: ['1.1', '1.2'],
  mismatched: [{ studyInstanceUid: '1.3', fields: ['numberOfInstances' as const] }],
  notInPacs: [
    { id: 'a', uid: '9.1' },
    { id: 'b', uid: '9.2', orphanTagged: true },
  ],
};

describe('the reconcile plan', () => {
  it('queues held studies for the bridge, others for the watched source, and marks untagged orphans only', () => {
    const actions = planReconcile({
      comparison,
      held: (uid) => uid === '1.1' || uid === '1.3',
      source: 'pacs',
      deleteOrphans: false,
    });
    expect(actions).toEqual([
      { kind: 'queue-sync', studyUid: '1.1', reason: 'missing' },
      { kind: 'fetch-from-source', studyUid: '1.2', source: 'pacs', reason: 'missing' },
      { kind: 'queue-sync', studyUid: '1.3', reason: 'mismatched' },
      { kind: 'mark-orphan', studyUid: '9.1', fhirId: 'a' },
      { kind: 'already-marked', studyUid: '9.2', fhirId: 'b' },
    ]);
    expect(summarize(actions)).toMatchObject({
      'queue-sync': 2,
      'fetch-from-source': 1,
      'mark-orphan': 1,
      'already-marked': 1,
    });
  });
  it('says when nothing here can bring a study over, and deletes orphans only when asked', () => {
    const actions = planReconcile({ comparison, held: () => false, deleteOrphans: true });
    expect(actions.filter((a) => a.kind === 'cannot-queue')).toHaveLength(3);
    expect(actions.filter((a) => a.kind === 'delete-orphan').map((a) => a.studyUid)).toEqual(['9.1', '9.2']);
  });
});
