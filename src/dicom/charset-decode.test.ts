import { describe, expect, it } from 'vitest';
import { decodeText } from './charset-decode.js';
import { decodeValue } from './value-decode.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

/** PS3.5 H.3.1: ISO 2022 IR 87, ESC ( B returns to ASCII. */
const YAMADA_IR87 =
  '59 61 6d 61 64 61 5e 54 61 72 6f 75 3d 1b 24 42 3b 33 45 44 1b 28 42 5e 1b 24 42 42 40 4f 3a 1b 28 42 3d ' +
  '1b 24 42 24 64 24 5e 24 40 1b 28 42 5e 1b 24 42 24 3f 24 6d 24 26 1b 28 42';
/** PS3.5 H.3.2: JIS X 0201 katakana in G1, ESC ( J returns to Romaji. */
const YAMADA_IR13 =
  'd4 cf c0 de 5e c0 db b3 3d 1b 24 42 3b 33 45 44 1b 28 4a 5e 1b 24 42 42 40 4f 3a 1b 28 4a 3d ' +
  '1b 24 42 24 64 24 5e 24 40 1b 28 4a 5e 1b 24 42 24 3f 24 6d 24 26 1b 28 4a';
/** PS3.5 I.2: KS X 1001 designated to G1 after every delimiter. */
const HONG_IR149 =
  ascii('Hong^Gildong=') +
  '1b 24 29 43 fb f3 5e 1b 24 29 43 d1 ce d4 d7 3d 1b 24 29 43 c8 ab 5e 1b 24 29 43 b1 e6 b5 bf';

describe('decodeText: multi-byte character sets (PS3.5 Annexes H–K)', () => {
  it('decodes the Japanese ISO 2022 IR 87 person name with escape sequences', () => {
    const text = decodeText(hex(YAMADA_IR87), ['', 'ISO 2022 IR 87'], 'PN');
    expect(text).toBe('Yamada^Tarou=山田^太郎=やまだ^たろう');
    expect(decodeValue(hex(YAMADA_IR87), 'PN', true, ['', 'ISO 2022 IR 87'])).toEqual([
      { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' },
    ]);
  });

  it('decodes half-width katakana from ISO 2022 IR 13 together with IR 87 kanji', () => {
    const text = decodeText(hex(YAMADA_IR13), ['ISO 2022 IR 13', 'ISO 2022 IR 87'], 'PN');
    expect(text).toBe('ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう');
  });

  it('decodes JIS X 0212 (ISO 2022 IR 159) through the EUC-JP 0x8F plane', () => {
    const bytes = hex('41 1b 24 28 44 30 21 2b 23 1b 28 42 5e 42');
    expect(decodeText(bytes, ['', 'ISO 2022 IR 159'], 'LO')).toBe('A丂ä^B');
  });

  it('decodes the Korean ISO 2022 IR 149 name, re-designating G1 after each delimiter', () => {
    expect(decodeText(hex(HONG_IR149), ['', 'ISO 2022 IR 149'], 'PN')).toBe('Hong^Gildong=洪^吉洞=홍^길동');
  });

  it('decodes the Chinese GB18030 name', () => {
    const bytes = hex(`${ascii('Wang^XiaoDong=')}cd f5 5e d0 a1 b6 ab 3d`);
    expect(decodeText(bytes, ['GB18030'], 'PN')).toBe('Wang^XiaoDong=王^小东=');
    expect(decodeValue(bytes, 'PN', true, ['GB18030'])).toEqual([
      { Alphabetic: 'Wang^XiaoDong', Ideographic: '王^小东' },
    ]);
  });

  it('decodes GBK like GB18030 for the shared repertoire', () => {
    expect(decodeText(hex('cd f5 5e d0 a1 b6 ab'), ['GBK'], 'PN')).toBe('王^小东');
  });

  it('decodes GB 2312 designated with ESC $ ) A (ISO 2022 IR 58)', () => {
    const bytes = hex(`${ascii('Zhang^XiaoDong=')}1b 24 29 41 d5 c5 5e 1b 24 29 41 d0 a1 b6 ab 3d`);
    expect(decodeText(bytes, ['', 'ISO 2022 IR 58'], 'PN')).toBe('Zhang^XiaoDong=张^小东=');
  });

  it('decodes UTF-8 (ISO_IR 192)', () => {
    const bytes = hex('57616e675e5869616f446f6e673de78e8b5ee5b08fe69db13d');
    expect(decodeText(bytes, ['ISO_IR 192'], 'PN')).toBe('Wang^XiaoDong=王^小東=');
  });

  it('decodes JIS X 0201 (ISO_IR 13) without code extensions', () => {
    expect(decodeText(hex('d4 cf c0 de 5e c0 db b3'), ['ISO_IR 13'], 'PN')).toBe('ﾔﾏﾀﾞ^ﾀﾛｳ');
  });
});

describe('decodeText: single-byte character sets', () => {
  const cases: [term: string, bytes: string, expected: string][] = [
    ['ISO_IR 100', '4275635e4ae972f46d65', 'Buc^Jérôme'],
    ['ISO_IR 101', '44766ff8e16b5e416e746f6eed6e', 'Dvořák^Antonín'],
    ['ISO_IR 109', 'a1616269625ed575bf65707069', 'Ħabib^Ġużeppi'],
    ['ISO_IR 110', 'd3ba6e69f1b95e4ae06e6973', 'Ķēniņš^Jānis'],
    ['ISO_IR 144', 'bbeeda6365dcd17970d3', 'Люкceмбypг'],
    ['ISO_IR 127', 'e2c8c7e6ea5ee4e6d2c7d1', 'قباني^لنزار'],
    ['ISO_IR 126', 'c4e9efedf5f3e9eff2', 'Διονυσιος'],
    ['ISO_IR 138', 'f9f8e5ef5ee3e1e5f8e4', 'שרון^דבורה'],
    ['ISO_IR 148', 'c7fdf05edefc6b72fc', 'Çığ^Şükrü'],
    ['ISO_IR 203', 'a4', '€'],
    ['ISO_IR 166', 'bbc3d0e0b7c8e4b7c2', 'ประเทศไทย'],
  ];
  for (const [term, bytes, expected] of cases) {
    it(`decodes ${term} as "${expected}"`, () => {
      expect(decodeText(hex(bytes), [term], 'PN')).toBe(expected);
    });
  }

  const finals: Record<string, string> = {
    '100': '41',
    '101': '42',
    '109': '43',
    '110': '44',
    '144': '4c',
    '127': '47',
    '126': '46',
    '138': '48',
    '148': '4d',
    '203': '62',
    '166': '54',
  };
  for (const [term, bytes, expected] of cases) {
    const ir = term.slice('ISO_IR '.length);
    it(`decodes ISO 2022 IR ${ir} after its ESC 02/13 designation`, () => {
      const designated = hex(`41 5e 1b 2d ${finals[ir]}${bytes}`);
      expect(decodeText(designated, ['ISO 2022 IR 6', `ISO 2022 IR ${ir}`], 'LO')).toBe(`A^${expected}`);
    });
  }

  it('uses the G1 set of value 1 without any escape sequence (ISO 2022 IR 100 alone)', () => {
    expect(decodeText(hex('4275635e4ae972f46d65'), ['ISO 2022 IR 100'], 'PN')).toBe('Buc^Jérôme');
  });

  it('reads 0x80–0x9F as C1 controls in Latin-1, not as windows-1252 punctuation', () => {
    expect(decodeText(hex('80 93'), ['ISO_IR 100'], 'LO')).toBe('\u0080\u0093');
    expect(decodeText(hex('80'), ['ISO_IR 148'], 'LO')).toBe('\u0080');
  });

  it('reads the default repertoire (ISO 2022 IR 6 and no value) as ASCII', () => {
    expect(decodeText(hex(ascii('Doe^John')), [], 'PN')).toBe('Doe^John');
    expect(decodeText(hex(ascii('Doe^John')), ['ISO 2022 IR 6'], 'PN')).toBe('Doe^John');
  });

  it('falls back to latin1 for an unknown defined term instead of throwing', () => {
    expect(decodeText(hex('e9'), ['ISO_IR 999'], 'LO')).toBe('é');
  });

  it('leaves VRs outside SH LO ST LT UC UT PN undecoded', () => {
    expect(decodeText(hex('e7 8e 8b'), ['ISO_IR 192'], 'CS')).toBe('\u00e7\u008e\u008b');
  });
});

describe('decodeText: ISO 2022 state resets', () => {
  it('returns to the initial set at each backslash between values', () => {
    // The second value starts without ESC ( B: after "\\" G0 is ASCII again.
    const bytes = hex('1b 24 42 3b 33 45 44 1b 28 42 5c 41 42');
    expect(decodeText(bytes, ['', 'ISO 2022 IR 87'], 'LO')).toBe('山田\\AB');
  });

  it('resets G1 at "^" in PN so undesignated high bytes are not read as Korean', () => {
    const bytes = hex('1b 24 29 43 c8 ab 5e e9');
    expect(decodeText(bytes, ['', 'ISO 2022 IR 149'], 'PN')).toBe('홍^é');
  });

  it('does not treat backslash as a delimiter in LT, but still resets at CR LF', () => {
    const bytes = hex('1b 2d 46 c4 5c c4 0d 0a c4');
    expect(decodeText(bytes, ['', 'ISO 2022 IR 126'], 'LT')).toBe('Δ\\Δ\r\nÄ');
  });
});
