import { describe, expect, it } from 'vitest';
import { isPartialResponse, isProgression, overallResponse, targetResponse } from './response.js';

describe('RECIST 1.1 thresholds on integer tenths of a millimetre', () => {
  it('is exact where floating point is not: 53.4 mm against a nadir of 44.5 mm is +20 % (floats say 19.999…)', () => {
    expect((53.4 - 44.5) / 44.5 >= 0.2).toBe(false); // the trap
    expect(isProgression(534, 445)).toBe(true);
    expect(isProgression(533, 445)).toBe(false);
  });

  it('needs 5 mm as well as 20 %: 20 → 24 mm is not progression, 25 → 30 mm is', () => {
    expect(isProgression(240, 200)).toBe(false);
    expect(isProgression(300, 250)).toBe(true);
  });

  it('PR at exactly 30 % below baseline, not at 29.9 %', () => {
    expect(isPartialResponse(490, 700)).toBe(true);
    expect(isPartialResponse(701, 1000)).toBe(false);
  });

  it('a missing target is NE unless the others already show PD', () => {
    const t = (tenths?: number) => ({ nodal: false, tenths });
    expect(targetResponse([t(300), t()], 700, 700).response).toBe('NE');
    expect(targetResponse([t(900), t()], 700, 700).response).toBe('PD');
  });

  it('Table 1: target CR with non-targets present is PR; any new lesion is PD', () => {
    expect(overallResponse('CR', 'non-CR/non-PD', false, true)).toBe('PR');
    expect(overallResponse('CR', 'NE', false, true)).toBe('PR');
    expect(overallResponse('PR', 'non-CR/non-PD', true, true)).toBe('PD');
    expect(overallResponse('NE', 'non-CR/non-PD', false, false)).toBe('SD');
  });
});
