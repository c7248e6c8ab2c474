import { describe, expect, it } from 'vitest';
import { ChunkQueue } from './chunk-queue.js';
import { PDataRouter } from './p-data-router.js';
import type { CommandSummary } from './store-fast-path.js';
import { PDV, command, pdu } from './test-support.js';

const STORE = { field: 0x0001, id: 7, dataSetType: 0x0000, sop: '1.2.3.9' };
const ECHO = { field: 0x0030, id: 8, dataSetType: 0x0101 };
const FIND = { field: 0x0020, id: 9, dataSetType: 0x0000 };

/** A router whose host accepts every fast-path store (unless `refuse`) and records what happened. */
function router(o: { refuse?: boolean } = {}) {
  const started: { contextId: number; command: CommandSummary; queue: ChunkQueue; bytes: Promise<string> }[] = [];
  const violations: string[] = [];
  const r = new PDataRouter({
    startStore: (contextId, cmd) => {
      if (o.refuse) return undefined;
      const queue = new ChunkQueue({ pause: () => undefined, resume: () => undefined });
      started.push({ contextId, command: cmd, queue, bytes: collect(queue) });
      return queue;
    },
    violation: (why) => violations.push(why),
  });
  return { r, started, violations };
}

async function collect(q: AsyncIterable<Buffer>): Promise<string> {
  let s = '';
  for await (const c of q) s += c.toString();
  return s;
}

const data = (id: number, s: string, last = false) => ({
  id,
  header: last ? PDV.lastData : PDV.data,
  data: Buffer.from(s),
});

describe('PDataRouter (which P-DATA-TF PDUs the C-STORE fast path takes)', () => {
  it('takes a C-STORE-RQ whose command is whole in the first PDV, and its data set fragments until the last', async () => {
    const { r, started } = router();
    expect(r.take(pdu({ id: 3, header: PDV.lastCommand, data: command(STORE) }, data(3, 'ab')))).toBe(true);
    expect(r.take(pdu(data(3, 'cd')))).toBe(true);
    expect(r.take(pdu(data(3, 'ef', true)))).toBe(true);
    expect(started).toHaveLength(1);
    expect(started[0]!.contextId).toBe(3);
    expect(started[0]!.command).toMatchObject({ messageId: 7, affectedSopInstanceUid: '1.2.3.9' });
    expect(await started[0]!.bytes).toBe('abcdef');
    // The next message starts afresh.
    expect(r.take(pdu({ id: 3, header: PDV.lastCommand, data: command(STORE) }, data(3, 'x', true)))).toBe(true);
    expect(await started[1]!.bytes).toBe('x');
  });

  it('leaves other commands, C-STOREs the host refuses and malformed PDUs to the library', () => {
    expect(router().r.take(pdu({ id: 1, header: PDV.lastCommand, data: command(ECHO) }))).toBe(false);
    const refused = router({ refuse: true });
    expect(refused.r.take(pdu({ id: 1, header: PDV.lastCommand, data: command(STORE) }))).toBe(false);
    expect(router().r.take(Buffer.from([0x04, 0, 0, 0, 0, 1, 0]))).toBe(false);
  });

  it('leaves a C-STORE-RQ to the library when its command spans PDVs or other contexts follow in its PDU', () => {
    const rq = command(STORE);
    const split = router();
    expect(split.r.take(pdu({ id: 1, header: PDV.command, data: rq.subarray(0, 10) }))).toBe(false);
    expect(split.r.take(pdu({ id: 1, header: PDV.lastCommand, data: rq.subarray(10) }, data(1, 'd', true)))).toBe(
      false,
    );
    const mixed = router();
    expect(mixed.r.take(pdu({ id: 1, header: PDV.lastCommand, data: rq }, data(3, 'd')))).toBe(false);
    expect([split.started, mixed.started]).toEqual([[], []]);
  });

  it('never cuts into a message the library is receiving: its data set PDUs all go to the library', () => {
    const { r, started } = router();
    expect(r.take(pdu({ id: 1, header: PDV.lastCommand, data: command(FIND) }))).toBe(false);
    // A data fragment that happens to look like a C-STORE-RQ command is still the C-FIND's identifier.
    expect(r.take(pdu(data(1, 'identifier')))).toBe(false);
    expect(r.take(pdu(data(1, 'end', true)))).toBe(false);
    expect(r.take(pdu({ id: 1, header: PDV.lastCommand, data: command(STORE) }, data(1, 'x', true)))).toBe(true);
    expect(started).toHaveLength(1);
  });

  it('reports a new message that begins before the data set is complete, and fails that store', async () => {
    const { r, started, violations } = router();
    r.take(pdu({ id: 3, header: PDV.lastCommand, data: command(STORE) }, data(3, 'ab')));
    expect(r.take(pdu({ id: 3, header: PDV.lastCommand, data: command(ECHO) }))).toBe(true);
    expect(violations).toEqual(['a new message began before the C-STORE data set was complete']);
    await expect(started[0]!.bytes).rejects.toThrow('a new message began before the data set was complete');
  });

  it('fails a data set still arriving when the association closes', async () => {
    const { r, started } = router();
    r.take(pdu({ id: 3, header: PDV.lastCommand, data: command(STORE) }, data(3, 'ab')));
    r.close(new Error('gone'));
    await expect(started[0]!.bytes).rejects.toThrow('gone');
  });

  it('takes a data set PDU that arrived in pieces without joining them, whatever the cut', async () => {
    for (const cut of [1, 6, 11, 12, 13, 20]) {
      const { r, started } = router();
      r.take(pdu({ id: 3, header: PDV.lastCommand, data: command(STORE) }, data(3, 'ab')));
      const next = pdu(data(3, 'cdefghijkl'));
      const parts = [next.subarray(0, cut), next.subarray(cut, cut + 3), next.subarray(cut + 3)].filter(
        (p) => p.length,
      );
      expect(r.takeParts(parts)).toBe(true);
      const last = pdu(data(3, 'mn', true));
      expect(r.takeParts([last.subarray(0, 4), last.subarray(4)])).toBe(true);
      expect(await started[0]!.bytes).toBe('abcdefghijklmn');
      // The data set is complete: the next C-STORE starts afresh (and pieces alone are no start).
      expect(r.takeParts([next.subarray(0, 8), next.subarray(8)])).toBe(false);
    }
  });

  it('refuses pieces it cannot pass as they are: several PDVs, another context, a command', () => {
    const { r, violations } = router();
    r.take(pdu({ id: 3, header: PDV.lastCommand, data: command(STORE) }, data(3, 'ab')));
    const halves = (b: Buffer) => [b.subarray(0, 9), b.subarray(9)];
    expect(r.takeParts(halves(pdu(data(3, 'cd'), data(3, 'ef'))))).toBe(false);
    expect(r.takeParts(halves(pdu(data(5, 'cd'))))).toBe(false);
    expect(r.takeParts(halves(pdu({ id: 3, header: PDV.lastCommand, data: command(ECHO) })))).toBe(false);
    // Refused pieces are joined and offered to take(), which still sees everything.
    expect(violations).toEqual([]);
  });
});
