import { describe, expect, it } from 'vitest';
import { bodyPart, bodyPartKey, resolveBodyPart } from './body-part.js';
import { ds } from './test-support.js';

const run = (v: string, profile = {}) => bodyPart.apply(ds({ '00180015': ['CS', v] }), { profile });

describe('body-part', () => {
  it('maps Chest/Abd, THORAX and Brain W/O to Annex L terms', () => {
    expect(run('CHEST/ABD').json['00180015']!.Value).toEqual(['CHESTABDOMEN']);
    expect(run('THORAX').json['00180015']!.Value).toEqual(['CHEST']);
    expect(run('BRAIN W/O').json['00180015']!.Value).toEqual(['BRAIN']);
  });

  it('reads plurals and spelled-out spine segments', () => {
    expect(resolveBodyPart('KIDNEYS')).toBe('KIDNEY');
    expect(resolveBodyPart('C-SPINE')).toBe('CSPINE');
    expect(resolveBodyPart('Lumbar Spine')).toBe('LSPINE');
  });

  it("applies the source profile's local synonyms", () => {
    expect(run('BRUST', { bodyPartSynonyms: { Brust: 'CHEST' } }).json['00180015']!.Value).toEqual(['CHEST']);
  });

  it('keeps unknown text and warns that no code can be given', () => {
    const { json, findings } = run('KNOECHEL');
    expect(json['00180015']!.Value).toEqual(['KNOECHEL']);
    expect(findings).toMatchObject([{ severity: 'warning', original: 'KNOECHEL' }]);
  });

  it('drops contrast qualifiers only after the first word', () => {
    expect(bodyPartKey('Head W/ contrast')).toBe('HEAD');
    expect(bodyPartKey('W')).toBe('W');
  });

  it('leaves Annex L terms untouched', () => {
    expect(run('ABDOMEN').findings).toEqual([]);
  });
});
