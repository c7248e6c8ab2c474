import { describe, expect, it } from 'vitest';
import type { StoredInstance } from '../../archive/types.js';
import { deliverableAs, proposalFor } from './instance-bytes.js';
import { runSubOperations, type SubOperationTarget } from './sub-operations.js';

const instance = (n: number, ts = '1.2.840.10008.1.2.1'): StoredInstance => ({
  studyUid: '1',
  seriesUid: '1.1',
  sopUid: `1.1.${n}`,
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  transferSyntaxUid: ts,
  blobKey: `k${n}`,
  size: 10,
  numberOfFrames: 1,
});

function target(
  statuses: (number | Error)[],
  syntax: (i: StoredInstance) => string | undefined = () => '1.2.840.10008.1.2.1',
): SubOperationTarget {
  let n = 0;
  return {
    syntaxFor: syntax,
    store: async () => {
      const s = statuses[n++]!;
      if (s instanceof Error) throw s;
      return s;
    },
  };
}

describe('C-STORE sub-operations', () => {
  it('counts completed, warning and failed, reports progress while some remain, and ends with 0xB000 on failures', async () => {
    const progress: unknown[] = [];
    const r = await runSubOperations(
      [instance(1), instance(2), instance(3)],
      target([0x0000, 0xb007, 0xa700]),
      (c) => void progress.push(c),
      () => false,
    );
    expect(progress).toEqual([
      { remaining: 2, completed: 1, failed: 0, warning: 0 },
      { remaining: 1, completed: 1, failed: 0, warning: 1 },
    ]);
    expect(r.counts).toEqual({ completed: 1, failed: 1, warning: 1 });
    expect(r.final.status).toBe(0xb000);
    expect(r.failedUids).toEqual(['1.1.3']);
  });

  it('fails an instance no accepted context can carry without sending it', async () => {
    const r = await runSubOperations(
      [instance(1, '1.2.840.10008.1.2.4.70')],
      target([], () => undefined),
      () => undefined,
      () => false,
    );
    expect(r.counts).toEqual({ completed: 0, failed: 1, warning: 0 });
  });

  it('stops at a cancel with 0xFE00 and the remaining count', async () => {
    let cancel = false;
    const r = await runSubOperations(
      [instance(1), instance(2), instance(3)],
      target([0, 0, 0]),
      () => void (cancel = true),
      () => cancel,
    );
    expect(r.final.status).toBe(0xfe00);
    expect(r.counts).toMatchObject({ remaining: 2, completed: 1 });
  });

  it('counts everything left as failed when the association is lost', async () => {
    const r = await runSubOperations(
      [instance(1), instance(2), instance(3)],
      target([0, new Error('gone')]),
      () => undefined,
      () => false,
    );
    expect(r.counts).toEqual({ completed: 1, failed: 2, warning: 0 });
    expect(r.final).toMatchObject({ status: 0xb000, comment: 'gone' });
  });
});

describe('transfer syntax of a sub-operation', () => {
  it('sends as stored when accepted, converts native syntaxes to explicit VR LE, never decompresses', () => {
    expect(deliverableAs('1.2.840.10008.1.2.4.70', ['1.2.840.10008.1.2.4.70'])).toBe('1.2.840.10008.1.2.4.70');
    expect(deliverableAs('1.2.840.10008.1.2', ['1.2.840.10008.1.2.1'])).toBe('1.2.840.10008.1.2.1');
    expect(deliverableAs('1.2.840.10008.1.2.4.70', ['1.2.840.10008.1.2.1'])).toBeUndefined();
    expect(proposalFor('1.2.840.10008.1.2.2')).toEqual(['1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1']);
    expect(proposalFor('1.2.840.10008.1.2.5')).toEqual(['1.2.840.10008.1.2.5']);
  });
});
