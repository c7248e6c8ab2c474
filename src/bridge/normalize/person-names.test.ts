import { describe, expect, it } from 'vitest';
import { personNames } from './person-names.js';
import { ds, noProfile } from './test-support.js';

const name = (v: unknown) => personNames.apply(ds({ '00100010': ['PN', v] }), noProfile);

describe('person-names', () => {
  it('replaces a comma between family and given name with ^', () => {
    const { json, findings } = name({ Alphabetic: 'DOE, JOHN' });
    expect(json['00100010']!.Value).toEqual([{ Alphabetic: 'DOE^JOHN' }]);
    expect(findings).toMatchObject([{ severity: 'info', corrected: { Alphabetic: 'DOE^JOHN' } }]);
  });

  it('splits all three groups packed into Alphabetic', () => {
    const { json } = name({ Alphabetic: 'Yamada^Tarou=山田^太郎=やまだ^たろう' });
    expect(json['00100010']!.Value).toEqual([
      { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' },
    ]);
  });

  it('turns a plain string PN into component groups', () => {
    expect(name('Doe^Jane=ドウ^ジェーン').json['00100010']!.Value).toEqual([
      { Alphabetic: 'Doe^Jane', Ideographic: 'ドウ^ジェーン' },
    ]);
  });

  it('reports, without guessing, a name left in one component with spaces', () => {
    const input = ds({ '00100010': ['PN', { Alphabetic: 'JOHN DOE' }] });
    const { json, findings } = personNames.apply(input, noProfile);
    expect(json).toBe(input);
    expect(findings).toMatchObject([{ severity: 'warning', original: { Alphabetic: 'JOHN DOE' } }]);
  });

  it('keeps well-formed names with ideographic groups as they are', () => {
    expect(name({ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }).findings).toEqual([]);
  });
});
