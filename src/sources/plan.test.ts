import { describe, expect, it } from 'vitest';
import { dateDaysBefore, needsSync, retrievalUnits, retryDelayMs, type StudyState } from './plan.js';

const study = (instances?: number, series?: number) => ({
  studyUid: '1.2',
  studyDate: '20240101',
  instances,
  series,
  json: {},
});
const done = (syncedInstances: number, syncedSeries: number): StudyState => ({
  status: 'done',
  syncedInstances,
  syncedSeries,
  attempts: 0,
  retryAt: null,
});

describe('needsSync', () => {
  it('syncs a study never seen before', () => {
    expect(needsSync(study(3, 1), undefined, 0, false, 0)).toBe(true);
  });
  it('skips a study whose counts are those of the last completed sync', () => {
    expect(needsSync(study(3, 1), done(3, 1), 3, false, 0)).toBe(false);
  });
  it('syncs again when instances or series were added on the PACS', () => {
    expect(needsSync(study(4, 1), done(3, 1), 3, false, 0)).toBe(true);
    expect(needsSync(study(3, 2), done(3, 1), 3, false, 0)).toBe(true);
  });
  it('leaves a study being fetched alone', () => {
    expect(needsSync(study(3, 1), { ...done(0, 0), status: 'fetching' }, 0, true, 0)).toBe(false);
  });
  it('retries a failed study only once its back-off has passed', () => {
    const failed: StudyState = {
      status: 'failed',
      syncedInstances: null,
      syncedSeries: null,
      attempts: 1,
      retryAt: 1000,
    };
    expect(needsSync(study(3, 1), failed, 0, false, 999)).toBe(false);
    expect(needsSync(study(3, 1), failed, 0, false, 1000)).toBe(true);
  });
  it('checks what we hold on a reconcile only', () => {
    expect(needsSync(study(3, 1), done(3, 1), 2, false, 0)).toBe(false);
    expect(needsSync(study(3, 1), done(3, 1), 2, true, 0)).toBe(true);
  });
  it('lets the reconcile decide when the PACS returns no counts', () => {
    expect(needsSync(study(), done(3, 1), 3, false, 0)).toBe(false);
    expect(needsSync(study(), done(3, 1), 3, true, 0)).toBe(true);
  });
});

describe('retrievalUnits', () => {
  const remote = [
    { seriesUid: 'S1', sopUid: 'A' },
    { seriesUid: 'S1', sopUid: 'B' },
    { seriesUid: 'S2', sopUid: 'C' },
  ];
  it('asks for the whole study when we hold none of it', () => {
    expect(retrievalUnits('ST', remote, new Set())).toEqual([{ studyUid: 'ST' }]);
  });
  it('asks for a whole series we lack and single instances of a series we partly hold', () => {
    expect(retrievalUnits('ST', remote, new Set(['A']))).toEqual([
      { studyUid: 'ST', seriesUid: 'S1', sopUid: 'B' },
      { studyUid: 'ST', seriesUid: 'S2' },
    ]);
  });
  it('asks for nothing when everything is here', () => {
    expect(retrievalUnits('ST', remote, new Set(['A', 'B', 'C']))).toEqual([]);
  });
});

describe('dates and back-off', () => {
  it('counts look-back days on the local calendar', () => {
    expect(dateDaysBefore(new Date(2024, 2, 1, 10), 1)).toBe('20240229');
    expect(dateDaysBefore(new Date(2024, 0, 1, 0, 5), 0)).toBe('20240101');
  });
  it('doubles the retry delay up to an hour', () => {
    expect(retryDelayMs(0, 1000)).toBe(1000);
    expect(retryDelayMs(3, 1000)).toBe(8000);
    expect(retryDelayMs(30, 1000)).toBe(3_600_000);
  });
});
