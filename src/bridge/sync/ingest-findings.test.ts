import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteIndex } from '../../archive/sqlite/sqlite-index.js';
import type { IngestNote } from '../../archive/types.js';
import { loadIngestFindings } from './ingest-findings.js';

const STUDY = '1.2.826.0.1.3680043.10.1456.96.1';
const note: IngestNote = {
  rule: 'file-meta',
  tag: '00020003',
  original: `${STUDY}.1.9`,
  corrected: `${STUDY}.1.1`,
  message: 'MediaStorageSOPInstanceUID differs',
};

describe('loadIngestFindings (ingest notes → data-quality findings)', () => {
  let dir: string;
  let index: SqliteIndex;
  const store = (sop: string, notes?: IngestNote[], replaces: string | null = null) =>
    index.commitSync([
      {
        replaces,
        record: {
          studyUid: STUDY,
          seriesUid: `${STUDY}.1`,
          sopUid: sop,
          sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          blobKey: `${sop}-${replaces ? 'v2' : 'v1'}`,
          size: 10,
          datasetOffset: 0,
          json: {},
          source: 'CT_SCANNER',
          ...(notes ? { notes } : {}),
        },
      },
    ]);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-notes-'));
    index = new SqliteIndex(join(dir, 'index.sqlite'));
  });
  afterEach(() => {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports each note of a visible instance as an info finding with its instance and source', () => {
    store(`${STUDY}.1.1`, [note]);
    store(`${STUDY}.1.2`);
    expect(loadIngestFindings(index.db, STUDY, {})).toEqual([
      {
        rule: 'file-meta',
        severity: 'info',
        tag: '00020003',
        original: `${STUDY}.1.9`,
        corrected: `${STUDY}.1.1`,
        message: 'MediaStorageSOPInstanceUID differs',
        sopInstanceUid: `${STUDY}.1.1`,
        source: { aeTitle: 'CT_SCANNER' },
      },
    ]);
  });

  it('takes the severity a source profile gives the rule (error: the caller holds the study)', () => {
    store(`${STUDY}.1.1`, [note]);
    expect(loadIngestFindings(index.db, STUDY, { severity: { 'file-meta': 'error' } })[0]?.severity).toBe('error');
  });

  it('forgets the notes of a version replaced by a consistent one, and of deleted instances', () => {
    store(`${STUDY}.1.1`, [note]);
    store(`${STUDY}.1.1`, undefined, `${STUDY}.1.1-v1`);
    expect(loadIngestFindings(index.db, STUDY, {})).toEqual([]);
    store(`${STUDY}.1.3`, [{ ...note, corrected: `${STUDY}.1.3` }]);
    expect(loadIngestFindings(index.db, STUDY, {})).toHaveLength(1);
    index.delete({ studyUid: STUDY, sopUid: `${STUDY}.1.3` }, 'tester', undefined);
    expect(loadIngestFindings(index.db, STUDY, {})).toEqual([]);
  });
});
