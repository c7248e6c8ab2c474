import type Database from 'better-sqlite3';

/** Value of `tag` in a stored DICOM JSON column: first value as text, a PN as A=I=P without trailing groups. */
const first = (json: string, tag: string) => `coalesce(json_extract(${json}, '$."${tag}".Value[0]'), '')`;
const personName = (json: string, tag: string) =>
  `rtrim(coalesce(json_extract(${json}, '$."${tag}".Value[0].Alphabetic'), '') || '=' || ` +
  `coalesce(json_extract(${json}, '$."${tag}".Value[0].Ideographic'), '') || '=' || ` +
  `coalesce(json_extract(${json}, '$."${tag}".Value[0].Phonetic'), ''), '=')`;

/** Columns added after the first schema, with how to fill them from the stored JSON of existing rows. */
const ADDED: { table: string; column: string; fill: string }[] = [
  { table: 'studies', column: 'study_time_raw', fill: first('json', '00080030') },
  { table: 'studies', column: 'referring_name', fill: personName('json', '00080090') },
  { table: 'studies', column: 'timezone_offset', fill: first('json', '00080201') },
  { table: 'series', column: 'pps_start_time_raw', fill: first('json', '00400245') },
];

/** Brings an index made by an earlier version up to date, in one transaction. */
export function addMissingColumns(db: Database.Database): void {
  const missing = ADDED.filter(({ table, column }) => {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    return !columns.some((c) => c.name === column);
  });
  if (missing.length === 0) return;
  db.transaction(() => {
    for (const { table, column, fill } of missing) {
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} TEXT NOT NULL DEFAULT ''`);
      db.exec(`UPDATE ${table} SET ${column} = ${fill}`);
    }
  })();
}
