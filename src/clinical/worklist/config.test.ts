import { describe, expect, it } from 'vitest';
import { parseWorklistConfig, WORKLIST_DEFAULTS } from './config.js';

describe('the worklist config section', () => {
  it('is the spec’s defaults when absent', () => {
    const c = parseWorklistConfig(undefined);
    expect(c.order).toEqual({ stat: 40, asap: 30, urgent: 20, routine: 0, missingAcute: 10 });
    expect(c.tiers).toEqual({ 'read-now': 90, 'within-1h': 60, 'this-shift': 30 });
    expect(c.aging).toEqual({ nonRoutineMinutes: 10, routineMinutes: 60, cap: 20 });
    expect(c.setting.classes.get('EMER')).toBe(25);
  });

  it('merges a section over the defaults, key by key', () => {
    const c = parseWorklistConfig({
      order: { stat: 50 },
      setting: { locationTypes: { ER: 30, HU: 5 } },
      override: { patterns: ['massive transfusion'] },
      clinical: { flags: { isolation: { points: 3, codes: ['urn:x|iso'] } } },
      dicomPriority: { high: 'asap' },
    });
    expect(c.order.stat).toBe(50);
    expect(c.order.asap).toBe(30);
    expect([...c.setting.locationTypes]).toEqual([
      ['ER', 30],
      ['HU', 5],
    ]);
    expect(c.override.patterns).toEqual(['massive transfusion']);
    expect(c.override.codes).toEqual(WORKLIST_DEFAULTS.override.codes);
    expect(c.clinical.flags.get('isolation')).toEqual({
      points: 3,
      withinHours: 0,
      codes: ['urn:x|iso'],
      patterns: [],
    });
    expect(c.dicomPriority.get('HIGH')).toBe('asap');
  });

  it.each([
    [{ wieghts: {} }, /"worklist.wieghts" is not known/],
    [{ order: { stat: 'high' } }, /"worklist.order.stat" must be a number/],
    [{ tiers: { 'within-1h': 95 } }, /must descend/],
    [{ override: { patterns: ['(unclosed'] } }, /is not a regular expression/],
    [{ override: { codes: ['code-stroke'] } }, /must be "system\|code"/],
    [{ dicomPriority: { STAT: 'now' } }, /"worklist.dicomPriority.STAT" must be one of/],
    [{ clinical: { flags: { x: { points: 3 } } } }, /needs codes or patterns/],
    [[], /"worklist" must be an object/],
  ])('refuses %j', (section, message) => {
    expect(() => parseWorklistConfig(section)).toThrow(message);
  });
});
