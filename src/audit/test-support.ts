import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, chainHash } from './chain-hash.js';
import type { AuditChainStore, NewRecord } from './chain-store-contract.js';
import type { ChainRecord } from './types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointFileOf } from './checkpoint.js';

export interface OpenedChain {
  store: AuditChainStore;
  /** Another connection (SQLite) or pool — another instance (PostgreSQL) — on the same chain. */
  another(): Promise<AuditChainStore>;
  close(): Promise<void>;
}

export const TEST_KEY = Buffer.alloc(32, 7);

export const newRecord = (n: number | string): NewRecord => ({
  id: `rec-${n}`,
  recorded: '2024-05-01T10:00:00.000Z',
  json: JSON.stringify({ resourceType: 'AuditEvent', id: `rec-${n}` }),
});

const collect = async (it: AsyncIterable<ChainRecord>) => {
  const out: ChainRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
};

/** Each record's seq follows the previous one and its hash covers the previous hash. */
export function expectOneChain(records: ChainRecord[], key: Buffer = TEST_KEY): void {
  let prev = GENESIS_HASH;
  records.forEach((r, i) => {
    expect(r.seq).toBe(i + 1);
    expect(r.prevHash).toBe(prev);
    expect(r.hash).toBe(chainHash(key, prev, r.json));
    prev = r.hash;
  });
}

/** The behaviour every AuditChainStore must have (SQLite, PostgreSQL). `skip`: why it cannot run here. */
export function auditChainStoreSuite(name: string, open: () => Promise<OpenedChain>, options: { skip?: string } = {}) {
  describe.skipIf(options.skip !== undefined)(
    `AuditChainStore contract: ${name}${options.skip ? ` (skipped: ${options.skip})` : ''}`,
    () => {
      let opened: OpenedChain;
      let store: AuditChainStore;
      beforeEach(async () => {
        opened = await open();
        store = opened.store;
      });
      afterEach(async () => opened.close());

      it('starts empty, appends in order with each hash covering the previous one, and reads back what it stored', async () => {
        expect(await store.head()).toBeUndefined();
        expect(await store.count()).toBe(0);
        const first = await store.append([newRecord(1), newRecord(2)], TEST_KEY);
        const second = await store.append([newRecord(3)], TEST_KEY);
        expect([...first, ...second].map((r) => r.seq)).toEqual([1, 2, 3]);
        const all = await collect(store.iterate());
        expect(all).toEqual([...first, ...second]);
        expectOneChain(all);
        expect(await store.head()).toEqual({ seq: 3, hash: second[0]!.hash });
        expect(await store.count()).toBe(3);
        expect(await store.hashAt(2)).toBe(first[1]!.hash);
        expect(await store.hashAt(4)).toBeUndefined();
      });

      it('iterates after a seq, page by page', async () => {
        await store.append(
          Array.from({ length: 7 }, (_, i) => newRecord(i + 1)),
          TEST_KEY,
        );
        expect((await collect(store.iterate(2, 2))).map((r) => r.seq)).toEqual([3, 4, 5, 6, 7]);
        expect(await collect(store.iterate(7))).toEqual([]);
      });

      it('refuses a whole append when one id is already in the chain, and goes on after it', async () => {
        await store.append([newRecord(1)], TEST_KEY);
        const refused = await store.append([newRecord(2), newRecord(1)], TEST_KEY).catch((e: unknown) => e);
        expect(refused).toMatchObject({ code: 'DUPLICATE_ID' });
        expect(String(refused)).toMatch(/rec-1/);
        expect(await store.count()).toBe(1);
        const [next] = await store.append([newRecord(2)], TEST_KEY);
        expect(next!.seq).toBe(2);
        expectOneChain(await collect(store.iterate()));
      });

      it('keeps one chain when two connections append at the same time', async () => {
        const other = await opened.another();
        try {
          await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              (i % 2 ? store : other).append([newRecord(`${i}-a`), newRecord(`${i}-b`)], TEST_KEY),
            ),
          );
          const all = await collect(other.iterate());
          expect(all).toHaveLength(40);
          expectOneChain(all);
          // A call's records stay together, in order.
          for (let i = 0; i < 40; i += 2) expect(all[i + 1]!.id).toBe(all[i]!.id.replace(/-a$/, '-b'));
        } finally {
          await other.close();
        }
      });

      it('keeps a watermark per projection target that never moves back', async () => {
        expect(await store.projectedUpTo('fhir')).toBe(0);
        await store.setProjectedUpTo('fhir', 5);
        await store.setProjectedUpTo('fhir', 3);
        await store.setProjectedUpTo('other', 1);
        expect(await store.projectedUpTo('fhir')).toBe(5);
        expect(await store.projectedUpTo('other')).toBe(1);
      });
    },
  );
}

/** A fresh checkpoint file per call, in a temp folder removed after each test (call inside `describe`). */
export function checkpointFiles(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-checkpoint-'));
    dirs.push(dir);
    return checkpointFileOf(join(dir, 'audit.key'));
  };
}
