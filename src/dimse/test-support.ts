/**
 * PDU bytes for the unit tests of the PDU-level code (store-fast-path, p-data-router,
 * incoming-pdus): command sets in Implicit VR Little Endian (PS3.7 6.3.1) and P-DATA-TF
 * PDUs made of PDVs (PS3.8 9.3.5).
 */

/** One Implicit VR LE group 0000 element. */
function el(element: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(element, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}
const us = (n: number) => Buffer.from([n & 0xff, n >> 8]);
const ui = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');

/** A command set: Command Field, Message ID, Command Data Set Type (0x0101: none), affected UIDs. */
export function command(fields: {
  field: number;
  id: number;
  dataSetType: number;
  sopClass?: string;
  sop?: string;
}): Buffer {
  const body = Buffer.concat([
    el(0x0002, ui(fields.sopClass ?? '1.2.840.10008.5.1.4.1.1.2')),
    el(0x0100, us(fields.field)),
    el(0x0110, us(fields.id)),
    el(0x0700, us(0)),
    el(0x0800, us(fields.dataSetType)),
    el(0x1000, ui(fields.sop ?? '1.2.3.4.5')),
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([el(0x0000, len), body]);
}

/** Message control header of a PDV: bit 0 command, bit 1 last fragment. */
export const PDV = { data: 0, lastData: 2, command: 1, lastCommand: 3 } as const;

/** A P-DATA-TF PDU of these PDVs (context id, message control header, value). */
export function pdu(...pdvs: { id: number; header: number; data: Buffer }[]): Buffer {
  const items = pdvs.map((p) => {
    const h = Buffer.alloc(6);
    h.writeUInt32BE(p.data.length + 2, 0);
    h[4] = p.id;
    h[5] = p.header;
    return Buffer.concat([h, p.data]);
  });
  const body = Buffer.concat(items);
  const head = Buffer.alloc(6);
  head[0] = 0x04;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}
