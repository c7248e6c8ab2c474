import { describe, expect, it } from 'vitest';
import { StoreError } from '../core/errors.js';
import { DicomStatus } from '../core/dicom-status.js';
import type { StoreContext } from '../archive/archive.js';
import { storeInstance, type StorePort } from './store-handler.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const req = {
  sopClassUid: CT,
  sopInstanceUid: '1.2.3',
  abstractSyntax: CT,
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  callingAe: 'CT1',
};

async function* chunks(...parts: string[]): AsyncIterable<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

function archive(behaviour: (bytes: Buffer, ctx: StoreContext) => void): StorePort {
  return {
    store: async (input, ctx) => {
      const parts: Buffer[] = [];
      for await (const c of input) parts.push(c);
      behaviour(Buffer.concat(parts), ctx);
      return { kind: 'stored', record: { studyUid: '', seriesUid: '', sopUid: '', sopClassUid: '' } };
    },
  };
}

describe('storeInstance (C-STORE handler)', () => {
  it('stores a Part 10 file made of File Meta from the command + the data set, with the calling AE as source', async () => {
    let stored: Buffer = Buffer.alloc(0);
    let source = '';
    const r = await storeInstance(
      req,
      chunks('DATA', 'SET'),
      archive((b, ctx) => {
        stored = b;
        source = ctx.source;
      }),
    );
    expect(r).toEqual({ status: 0 });
    expect(stored.subarray(128, 132).toString()).toBe('DICM');
    expect(stored.includes(Buffer.from('1.2.3'))).toBe(true);
    expect(stored.includes(Buffer.from('CT1'))).toBe(true);
    expect(stored.subarray(-7).toString()).toBe('DATASET');
    expect(source).toBe('CT1');
  });

  it('answers the StoreError status with a short comment', async () => {
    const r = await storeInstance(
      req,
      chunks('x'),
      archive(() => {
        throw new StoreError(DicomStatus.OutOfResources, 'storage is full: 12 bytes free');
      }),
    );
    expect(r).toEqual({ status: 0xa700, comment: 'storage is full: 12 bytes free' });
  });

  it('turns an unexpected exception into 0xC211, and a class / context mismatch into 0x0122', async () => {
    const boom = await storeInstance(
      req,
      chunks('x'),
      archive(() => {
        throw new TypeError('boom');
      }),
    );
    expect(boom.status).toBe(0xc211);
    const mismatch = await storeInstance(
      { ...req, abstractSyntax: '1.2.840.10008.5.1.4.1.1.4' },
      chunks('x'),
      archive(() => undefined),
    );
    expect(mismatch.status).toBe(0x0122);
  });
});
