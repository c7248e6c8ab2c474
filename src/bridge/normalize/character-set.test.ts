import { describe, expect, it } from 'vitest';
import { characterSet } from './character-set.js';
import { ds, noProfile } from './test-support.js';

describe('character-set', () => {
  it('re-reads UTF-8 bytes that were decoded as Latin-1 and declares ISO_IR 192', () => {
    const { json, findings } = characterSet.apply(
      ds({ '00100010': ['PN', { Alphabetic: 'MÃ¼ller^JÃ¼rgen' }] }),
      noProfile,
    );
    expect(json['00100010']!.Value).toEqual([{ Alphabetic: 'Müller^Jürgen' }]);
    expect(json['00080005']!.Value).toEqual(['ISO_IR 192']);
    expect(findings.map((f) => f.severity)).toEqual(['warning', 'warning']);
  });

  it('keeps genuine Latin-1 text, which is not valid UTF-8', () => {
    const input = ds({ '00080005': ['CS', 'ISO_IR 100'], '00100010': ['PN', { Alphabetic: 'Müller^Hans' }] });
    const result = characterSet.apply(input, noProfile);
    expect(result.json).toBe(input);
    expect(result.findings).toEqual([]);
  });

  it('decodes ISO 2022 escape sequences sent without declaring code extensions', () => {
    const jis = Buffer.from([0x1b, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, 0x1b, 0x28, 0x42]).toString('latin1');
    const { json } = characterSet.apply(
      ds({ '00100010': ['PN', { Alphabetic: 'Yamada', Ideographic: jis }] }),
      noProfile,
    );
    expect(json['00100010']!.Value).toEqual([{ Alphabetic: 'Yamada', Ideographic: '山田' }]);
  });

  it('reports characters lost while decoding (U+FFFD) without changing them', () => {
    const input = ds({ '00080005': ['CS', 'ISO_IR 192'], '00081030': ['LO', 'Kn\ufffde'] });
    const { json, findings } = characterSet.apply(input, noProfile);
    expect(json).toBe(input);
    expect(findings).toMatchObject([{ severity: 'warning', tag: '00081030' }]);
  });

  it('reports an unknown term and UTF-8 combined with other sets', () => {
    expect(characterSet.apply(ds({ '00080005': ['CS', 'ISO_IR 999'] }), noProfile).findings[0]!.severity).toBe(
      'warning',
    );
    expect(
      characterSet.apply(ds({ '00080005': ['CS', 'ISO_IR 192', 'ISO 2022 IR 87'] }), noProfile).findings[0]!.severity,
    ).toBe('warning');
  });

  it('puts multi-valued terms into their ISO 2022 form', () => {
    const { json } = characterSet.apply(ds({ '00080005': ['CS', 'ISO_IR 100', 'ISO 2022 IR 87'] }), noProfile);
    expect(json['00080005']!.Value).toEqual(['ISO 2022 IR 100', 'ISO 2022 IR 87']);
  });

  it('notes non-ASCII text when SpecificCharacterSet is missing', () => {
    expect(characterSet.apply(ds({ '00081030': ['LO', 'Schädel'] }), noProfile).findings).toMatchObject([
      { severity: 'info', tag: '00080005' },
    ]);
  });
});
