import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { addMissingColumns } from './migrate.js';

describe('index migration', () => {
  it('adds the columns of later versions to an older index and fills them from the stored JSON', () => {
    const db = new Database(':memory:');
    db.exec(
      `CREATE TABLE studies (pk INTEGER PRIMARY KEY, json TEXT NOT NULL); CREATE TABLE series (pk INTEGER PRIMARY KEY, json TEXT NOT NULL);`,
    );
    db.prepare('INSERT INTO studies(json) VALUES (?)').run(
      JSON.stringify({
        '00080030': { vr: 'TM', Value: ['101530'] },
        '00080090': { vr: 'PN', Value: [{ Alphabetic: 'Welby^Marcus' }] },
      }),
    );
    db.prepare('INSERT INTO series(json) VALUES (?)').run('{}');
    addMissingColumns(db);
    expect(db.prepare('SELECT study_time_raw, referring_name, timezone_offset FROM studies').get()).toEqual({
      study_time_raw: '101530',
      referring_name: 'Welby^Marcus',
      timezone_offset: '',
    });
    expect(db.prepare('SELECT pps_start_time_raw FROM series').get()).toEqual({ pps_start_time_raw: '' });
    addMissingColumns(db); // a second start changes nothing
  });
});
