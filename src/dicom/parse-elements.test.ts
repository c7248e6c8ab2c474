import { describe, expect, it } from 'vitest';
import { bufferSource, parseInstance, wrapDataset, TransferSyntax } from './index.js';
import { explicitElement, implicitElement } from './test-support.js';

const ui = (s: string): Buffer => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
const text = (s: string): Buffer => Buffer.from(s.length % 2 ? `${s} ` : s, 'latin1');
const u16 = (...v: number[]): Buffer => Buffer.from(new Uint16Array(v).buffer);
const ITEM = (body: Buffer, length = body.length): Buffer => implicitElement(0xfffee000, body, length);
const ITEM_END = implicitElement(0xfffee00d, Buffer.alloc(0));
const SEQ_END = implicitElement(0xfffee0dd, Buffer.alloc(0));
const UNDEFINED = 0xffffffff;

/** The four identifying UIDs, in the requested VR style. */
function ids(explicit: boolean): Buffer[] {
  const el = (tag: number, v: string): Buffer =>
    explicit ? explicitElement(tag, 'UI', ui(v)) : implicitElement(tag, ui(v));
  return [el(0x00080016, '1.2.3'), el(0x00080018, '1.2.3.4')];
}
function studySeries(explicit: boolean): Buffer[] {
  const el = (tag: number, v: string): Buffer =>
    explicit ? explicitElement(tag, 'UI', ui(v)) : implicitElement(tag, ui(v));
  return [el(0x0020000d, '1.2.3.5'), el(0x0020000e, '1.2.3.6')];
}
const parseRaw = (parts: Buffer[]) => parseInstance(bufferSource(Buffer.concat(parts))).json;

describe('parsing element encodings', () => {
  it('reads an undefined-length UN as a sequence of implicit VR items (PS3.5 6.2.2)', () => {
    const un = explicitElement(0x00091010, 'UN', Buffer.alloc(0));
    un.writeUInt32LE(UNDEFINED, 8);
    const json = parseRaw([
      ...ids(true),
      explicitElement(0x00090010, 'LO', text('ACME')),
      un,
      ITEM(Buffer.concat([implicitElement(0x00100020, text('ID7'))]), UNDEFINED),
      ITEM_END,
      SEQ_END,
      ...studySeries(true),
    ]);
    expect(json['00091010']).toEqual({ vr: 'SQ', Value: [{ '00100020': { vr: 'LO', Value: ['ID7'] } }] });
    expect(json['00090010']).toEqual({ vr: 'LO', Value: ['ACME'] });
    expect(json['0020000E']).toEqual({ vr: 'UI', Value: ['1.2.3.6'] });
  });

  it('gives implicit private data elements VR UN, private creators LO, undefined-length ones SQ', () => {
    const json = parseRaw([
      ...ids(false),
      implicitElement(0x00190010, text('SIEMENS')),
      implicitElement(0x00191008, text('IMAGE NUM 4')),
      implicitElement(0x00191009, Buffer.alloc(0), UNDEFINED),
      ITEM(implicitElement(0x00080100, text('T-1')), UNDEFINED),
      ITEM_END,
      SEQ_END,
      ...studySeries(false),
    ]);
    expect(json['00190010']).toEqual({ vr: 'LO', Value: ['SIEMENS'] });
    expect(json['00191008']).toEqual({ vr: 'UN', InlineBinary: Buffer.from('IMAGE NUM 4 ').toString('base64') });
    expect(json['00191009']).toEqual({ vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['T-1'] } }] });
  });

  it('drops group lengths and dataset trailing padding from the JSON', () => {
    const json = parseRaw([
      explicitElement(0x00080000, 'UL', Buffer.from([4, 0, 0, 0])),
      ...ids(true),
      ...studySeries(true),
      explicitElement(0xfffcfffc, 'OB', Buffer.alloc(16)),
    ]);
    expect(Object.keys(json)).toEqual(['00080016', '00080018', '0020000D', '0020000E']);
  });

  it('decodes a sequence item with its own SpecificCharacterSet and restores the parent one after it', () => {
    const name = Buffer.from('Wang^XiaoDong=王^小東', 'utf8');
    const item = Buffer.concat([
      explicitElement(0x00080005, 'CS', text('ISO_IR 192')),
      explicitElement(0x00100010, 'PN', name.length % 2 ? Buffer.concat([name, Buffer.from(' ')]) : name),
    ]);
    const sq = explicitElement(0x00081115, 'SQ', Buffer.concat([ITEM(item)]));
    const json = parseRaw([
      explicitElement(0x00080005, 'CS', text('ISO_IR 100')),
      ...ids(true),
      sq,
      explicitElement(0x00100010, 'PN', text('Buc^J\u00e9r\u00f4me')),
      ...studySeries(true),
    ]);
    const items = json['00081115']!.Value as Record<string, { Value: unknown[] }>[];
    expect(items[0]!['00100010']!.Value).toEqual([{ Alphabetic: 'Wang^XiaoDong', Ideographic: '王^小東' }]);
    expect(json['00100010']!.Value).toEqual([{ Alphabetic: 'Buc^Jérôme' }]);
  });

  it('reads ISO 2022 Japanese person names from a dataset', () => {
    const bytes = Buffer.from(
      '59616d6164615e5461726f753d1b24423b3345441b28425e1b244242404f3a1b28423d1b24422464245e24401b28425e1b2442243f246d24261b2842',
      'hex',
    );
    const json = parseRaw([
      explicitElement(0x00080005, 'CS', text('\\ISO 2022 IR 87')),
      ...ids(true),
      explicitElement(0x00100010, 'PN', bytes),
      ...studySeries(true),
    ]);
    expect(json['00100010']!.Value).toEqual([
      { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' },
    ]);
  });

  it('reads a standard attribute that arrived as UN with its dictionary VR', () => {
    const json = parseRaw([
      ...ids(true),
      explicitElement(0x00100010, 'UN', text('Doe^John')),
      explicitElement(0x00280010, 'UN', u16(512)),
      ...studySeries(true),
    ]);
    expect(json['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Doe^John' }] });
    expect(json['00280010']).toEqual({ vr: 'US', Value: [512] });
  });

  it('chooses SS for "US or SS" attributes when PixelRepresentation is 1 in implicit VR', () => {
    const json = parseRaw([
      ...ids(false),
      ...studySeries(false),
      implicitElement(0x00280103, u16(1)),
      implicitElement(0x00280106, u16(0xfc18)),
    ]);
    expect(json['00280106']).toEqual({ vr: 'SS', Value: [-1000] });
  });

  it('represents empty values per Annex F: only vr, null inside multi-valued strings', () => {
    const json = parseRaw([
      ...ids(true),
      explicitElement(0x00080008, 'CS', text('ORIGINAL\\\\AXIAL')),
      explicitElement(0x00081115, 'SQ', Buffer.alloc(0)),
      explicitElement(0x00100010, 'PN', text('  ')),
      explicitElement(0x00200013, 'IS', text(' 12 ')),
      explicitElement(0x00200037, 'DS', text('1\\0\\-0.5E2\\ 4.\\.5\\x')),
      explicitElement(0x00104000, 'LT', text('  keep leading\\and backslash  ')),
      ...studySeries(true),
    ]);
    expect(json['00080008']).toEqual({ vr: 'CS', Value: ['ORIGINAL', null, 'AXIAL'] });
    expect(json['00081115']).toEqual({ vr: 'SQ' });
    expect(json['00100010']).toEqual({ vr: 'PN' });
    expect(json['00200013']).toEqual({ vr: 'IS', Value: [12] });
    expect(json['00200037']).toEqual({ vr: 'DS', Value: [1, 0, -50, 4, 0.5, 'x'] });
    expect(json['00104000']).toEqual({ vr: 'LT', Value: ['  keep leading\\and backslash'] });
  });

  it('follows the bytes when the File Meta says explicit VR but the dataset is implicit', () => {
    const dataset = Buffer.concat([...ids(false), ...studySeries(false), implicitElement(0x00100020, text('P1'))]);
    const file = wrapDataset(dataset, {
      sopClassUid: '1.2.3',
      sopInstanceUid: '1.2.3.4',
      transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
    });
    expect(parseInstance(bufferSource(file)).json['00100020']).toEqual({ vr: 'LO', Value: ['P1'] });
  });
});
