import { describe, expect, it } from 'vitest';
import { INSTANCE_RULES, normalizeInstance, normalizeStudy } from './registry.js';
import { ds } from './test-support.js';

const instance = (sop: string, modality: string) =>
  ds({
    '0020000D': ['UI', '1.2'],
    '0020000E': ['UI', '1.2.1'],
    '00080018': ['UI', sop],
    '00080016': ['UI', '1.2.840.10008.5.1.4.1.1.2'],
    '00080060': ['CS', modality],
    '00100020': ['LO', 'P1'],
    '00100021': ['LO', 'H'],
    '00080020': ['DA', '20240101'],
    '00080030': ['TM', '101010'],
    '00200011': ['IS', 1],
    '00200013': ['IS', 1],
    '00081010': ['SH', 'CT01'],
  });

describe('normalization registry', () => {
  it('runs the rules in a fixed order: padding before case before synonyms', () => {
    expect(INSTANCE_RULES.map((r) => r.name).slice(0, 3)).toEqual([
      'character-set',
      'string-padding',
      'code-string-case',
    ]);
    expect(normalizeInstance(instance('1.2.1.1', ' mri '), { profile: {} }).json['00080060']!.Value).toEqual(['MR']);
  });

  it('stamps each finding with the instance, the AE title, the station and the manufacturer', () => {
    const { findings } = normalizeInstance(instance('1.2.1.1', 'MRI'), { profile: {}, source: { aeTitle: 'SCU1' } });
    expect(findings).toMatchObject([
      { rule: 'modality', sopInstanceUid: '1.2.1.1', source: { aeTitle: 'SCU1', station: 'CT01' } },
    ]);
  });

  it('applies severity overrides by rule and by rule@tag', () => {
    const byRule = normalizeInstance(instance('1.2.1.1', 'FOO'), { profile: { severity: { modality: 'error' } } });
    expect(byRule.findings[0]!.severity).toBe('error');
    const byTag = normalizeInstance(instance('1.2.1.1', 'FOO'), {
      profile: { severity: { 'modality@00080060': 'info' } },
    });
    expect(byTag.findings[0]!.severity).toBe('info');
  });

  it('asks for quarantine when any finding is an error', () => {
    const missingModality = instance('1.2.1.1', 'CT');
    delete missingModality['00080060'];
    expect(normalizeStudy([missingModality], { profile: {} }).quarantine).toBe(true);
    expect(normalizeStudy([instance('1.2.1.1', 'CT')], { profile: {} }).quarantine).toBe(false);
  });

  it('reports the same finding of many instances once, with the number of occurrences', () => {
    const { findings } = normalizeStudy(
      [instance('1.2.1.1', 'MRI'), instance('1.2.1.2', 'MRI'), instance('1.2.1.3', 'MRI')],
      { profile: {} },
    );
    expect(findings).toMatchObject([{ rule: 'modality', occurrences: 3, sopInstanceUid: '1.2.1.1' }]);
  });

  it('lets a profile downgrade an error so the study is not held', () => {
    const missingModality = instance('1.2.1.1', 'CT');
    delete missingModality['00080060'];
    expect(
      normalizeStudy([missingModality], { profile: { severity: { 'required-attributes@00080060': 'warning' } } })
        .quarantine,
    ).toBe(false);
  });
});
