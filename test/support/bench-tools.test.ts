import { describe, expect, it } from 'vitest';
import { summarise, type CpuProfile } from '../../bench/cpu-profile.js';
import { foreignShare } from '../../bench/quiet.js';

const frame = (functionName: string) => ({ functionName, url: '', lineNumber: 0, columnNumber: 0 });

describe('cpu-profile summarise', () => {
  // root → outer → inner; samples: idle, inner, inner, outer, idle (1 ms apart)
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4] },
      { id: 2, callFrame: frame('outer'), children: [3] },
      { id: 3, callFrame: frame('inner') },
      { id: 4, callFrame: frame('(idle)') },
    ],
    startTime: 0,
    endTime: 5000,
    samples: [4, 3, 3, 2, 4],
    timeDeltas: [0, 1000, 1000, 1000, 1000],
  };

  it('attributes each sample the time until the next one, by function', () => {
    const s = summarise([profile]);
    expect(s.totalMs).toBe(4);
    expect(s.busyMs).toBe(3);
    expect(s.byFunction[0]).toMatchObject({ name: 'inner', ms: 2 });
  });

  it('keeps only the window between the first and last sample under a matching frame', () => {
    const s = summarise([profile], /^outer$/);
    expect(s.totalMs).toBe(3);
    expect(s.byFunction.map((f) => f.name).sort()).toEqual(['inner', 'outer']);
  });
});

describe('foreignShare', () => {
  it('is the busy time not spent by this process tree, per core', () => {
    const a = { at: 0, busy: 1000, own: 100, cores: 2 };
    const b = { at: 2000, busy: 1200, own: 200, cores: 2 };
    // 200 busy ticks, 100 of them ours: 100 ticks = 1 s over 2 s on 2 cores = 25 %.
    expect(foreignShare(a, b)).toBeCloseTo(0.25);
  });
});
