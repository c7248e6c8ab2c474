import { describe, expect, it } from 'vitest';
import { isStoreRequest, readCommand, readPdvs, storeResponsePdu } from './store-fast-path.js';
import { command, pdu } from './test-support.js';

describe('C-STORE fast path codec', () => {
  it('splits a P-DATA-TF into its PDVs (command / data, last flags, context id), as views', () => {
    const rq = command({ field: 1, id: 7, dataSetType: 0x0000 });
    const p = pdu(
      { id: 3, header: 3, data: rq },
      { id: 3, header: 0, data: Buffer.from('abcd') },
      { id: 3, header: 2, data: Buffer.from('ef') },
    );
    const pdvs = readPdvs(p)!;
    expect(pdvs.map((v) => [v.contextId, v.command, v.last, v.data.length])).toEqual([
      [3, true, true, rq.length],
      [3, false, false, 4],
      [3, false, true, 2],
    ]);
    expect(pdvs[1]!.data.buffer).toBe(p.buffer);
  });

  it('refuses malformed PDUs: wrong type, length mismatch, an item running past the end, an item shorter than its header', () => {
    const good = pdu({ id: 1, header: 3, data: Buffer.from('xy') });
    expect(readPdvs(Buffer.concat([Buffer.from([0x05]), good.subarray(1)]))).toBeUndefined();
    expect(readPdvs(good.subarray(0, good.length - 1))).toBeUndefined();
    const long = Buffer.from(good);
    long.writeUInt32BE(100, 6);
    expect(readPdvs(long)).toBeUndefined();
    const short = Buffer.from(good);
    short.writeUInt32BE(1, 6);
    expect(readPdvs(short)).toBeUndefined();
  });

  it('reads a C-STORE-RQ command and tells it from other commands and from commands without a data set', () => {
    const rq = readCommand(command({ field: 0x0001, id: 42, dataSetType: 0x0000, sop: '1.2.3.44' }));
    expect(rq).toEqual({
      commandField: 1,
      messageId: 42,
      hasDataSet: true,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      affectedSopInstanceUid: '1.2.3.44',
    });
    expect(isStoreRequest(rq)).toBe(true);
    expect(isStoreRequest(readCommand(command({ field: 0x0030, id: 1, dataSetType: 0x0101 })))).toBe(false); // C-ECHO-RQ
    expect(isStoreRequest(readCommand(command({ field: 0x0001, id: 1, dataSetType: 0x0101 })))).toBe(false); // no data set
    expect(readCommand(Buffer.from([0x08, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00]))).toBeUndefined(); // not group 0000
    expect(readCommand(command({ field: 1, id: 1, dataSetType: 0 }).subarray(0, 30))).toBeUndefined(); // cut short
  });

  it('writes the C-STORE-RSP as one PDU: last command fragment, group length right, status, Error Comment only on failure or warning', () => {
    const rq = readCommand(command({ field: 1, id: 9, dataSetType: 0, sop: '1.2.3' }))!;
    const ok = readPdvs(storeResponsePdu(5, rq, { status: 0x0000, comment: 'ignored' }))!;
    expect(ok).toHaveLength(1);
    expect([ok[0]!.contextId, ok[0]!.command, ok[0]!.last]).toEqual([5, true, true]);
    const cmd = ok[0]!.data;
    expect(cmd.readUInt32LE(8)).toBe(cmd.length - 12);
    expect(readCommand(cmd)).toMatchObject({
      commandField: 0x8001,
      hasDataSet: false,
      affectedSopInstanceUid: '1.2.3',
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    });
    const fields = new Map<number, Buffer>();
    for (let at = 0; at < cmd.length; ) {
      const len = cmd.readUInt32LE(at + 4);
      fields.set(cmd.readUInt16LE(at + 2), cmd.subarray(at + 8, at + 8 + len));
      at += 8 + len;
    }
    expect(fields.get(0x0120)!.readUInt16LE(0)).toBe(9);
    expect(fields.get(0x0900)!.readUInt16LE(0)).toBe(0);
    expect(fields.has(0x0902)).toBe(false);
    const failed = readPdvs(storeResponsePdu(5, rq, { status: 0xa700, comment: 'storage is full\\ really' }))![0]!.data;
    expect(failed.includes(Buffer.from('storage is full  really'))).toBe(true);
    const warned = readPdvs(storeResponsePdu(5, rq, { status: 0xb007, comment: 'stored; class differs' }))![0]!.data;
    expect(warned.includes(Buffer.from('stored; class differs'))).toBe(true);
    for (const [, v] of fields) expect(v.length % 2).toBe(0);
  });
});
