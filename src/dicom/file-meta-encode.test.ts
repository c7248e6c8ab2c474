import { describe, expect, it } from 'vitest';
import { bufferSource } from './byte-source.js';
import { encodeDatasetBytes } from './part10-writer.js';
import { parseInstance } from './parse-instance.js';
import { encodeFileMeta, preamble } from './part10-writer.js';

const cases = [
  { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4.5', transferSyntaxUid: '1.2.840.10008.1.2.1' },
  {
    sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
    sopInstanceUid: '2.25.123456789012345678901234567890123',
    transferSyntaxUid: '1.2.840.10008.1.2',
    sourceAeTitle: 'STORESCU',
  },
  { sopClassUid: '1.2.3', sopInstanceUid: '1.2.34', transferSyntaxUid: '1.2.840.10008.1.2.4.50', sourceAeTitle: 'ODD' },
];

describe('the File Meta of our own fields (the C-STORE path)', () => {
  it.each(cases)('is byte for byte what the general dataset writer makes ($sopInstanceUid)', (fields) => {
    // `extra` (even empty) takes the general writer's path.
    expect(encodeFileMeta(fields).equals(encodeFileMeta({ ...fields, extra: {} }))).toBe(true);
  });

  it('reads back as the fields written, with the group length covering the group', () => {
    const fields = cases[1]!;
    const meta = encodeFileMeta(fields);
    expect(meta.readUInt32LE(8)).toBe(meta.length - 12);
    const dataset = encodeDatasetBytes(
      {
        '00080016': { vr: 'UI', Value: [fields.sopClassUid] },
        '00080018': { vr: 'UI', Value: [fields.sopInstanceUid] },
        '0020000D': { vr: 'UI', Value: ['1.2.3.1'] },
        '0020000E': { vr: 'UI', Value: ['1.2.3.1.1'] },
      },
      { transferSyntaxUid: fields.transferSyntaxUid },
    );
    const read = parseInstance(bufferSource(Buffer.concat([preamble(), meta, dataset])));
    expect(read.hasFileMeta).toBe(true);
    expect(read.transferSyntaxUid).toBe(fields.transferSyntaxUid);
    expect(read.sopInstanceUid).toBe(fields.sopInstanceUid);
    expect(read.fileMeta['00020003']?.Value).toEqual([fields.sopInstanceUid]);
    expect(read.fileMeta['00020016']?.Value).toEqual([fields.sourceAeTitle]);
  });
});
